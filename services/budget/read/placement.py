"""Where spending lands: event names, the plan category of a transaction category, and the
user-local day of a moment in the user's zone (shared by the day plans and their batch fold)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from contracts import auth, budget, ledger
from services.budget.engine import categories as cat

# The events the day plans fold: the budget's own, the ledger's spending, auth's zones.
PLANNED = budget.BUDGET_PLANNED
REDISTRIBUTED = budget.BUDGET_REDISTRIBUTED
REBALANCED = budget.MONTH_REBALANCED
SUBMITTED = budget.ONBOARDING_SUBMITTED
ADAPTED = budget.BUDGET_ADAPTED
MODE_CHANGED = budget.BUDGET_MODE_CHANGED
AUTOMATION_CHANGED = budget.AUTOMATION_SETTINGS_CHANGED
RECORDED = ledger.TRANSACTION_RECORDED
AMENDED = ledger.TRANSACTION_AMENDED
DELETED = ledger.TRANSACTION_DELETED
REGISTERED = auth.USER_REGISTERED
PROFILE_UPDATED = auth.USER_PROFILE_UPDATED


def zone_change(event_type: str, payload: dict[str, Any]) -> str | None:
    """The timezone an event sets for its user, if it sets one."""
    if event_type == SUBMITTED:
        fields: Any = payload
    elif event_type == REGISTERED:
        fields = payload.get("profile")
    elif event_type == PROFILE_UPDATED:
        fields = payload.get("changes")
    else:
        return None
    name = fields.get("timezone") if isinstance(fields, dict) else None
    return str(name) if name else None


def plan_category(category: str) -> str:
    """The plan category a transaction category rolls up to (unknown: other)."""
    try:
        return cat.rollup(category)
    except cat.CategoryError:
        return cat.OTHER


def zone(name: str | None) -> dt.tzinfo:
    """An IANA zone by name (UTC when missing or unknown)."""
    if not name:
        return dt.UTC
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def local_day(spent_at: Any, tz: dt.tzinfo) -> dt.date:
    """The user-local day of an ISO timestamp (naive ones count as UTC)."""
    moment = spent_at if isinstance(spent_at, dt.datetime) else dt.datetime.fromisoformat(spent_at)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(tz).date()
