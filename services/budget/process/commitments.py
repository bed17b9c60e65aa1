"""The user's commitments as a policy: ledger goal and installment events in, a re-planned
budget out.

Active goals reserve their monthly contribution as savings (SACRED); installment payments are
a fixed ``installments`` line on their due days. This process manager follows each goal and
installment event of ``mita.ledger.events`` onto the user's budget profile
(``GoalReserveChanged``, ``InstallmentFollowed``); when what they take moves, the current
month is re-planned from the user's local today on and the next month in full, so the
calendar, the daily limits and the forecast change with it. Exactly once in effect: the
profile keeps the version of each goal's and installment's last followed event and refuses an
event it already followed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import DictRow

from contracts.goals import (
    GOAL_CANCELLED,
    GOAL_COMPLETED,
    GOAL_CREATED,
    GOAL_DELETED,
    GOAL_PAUSED,
    GOAL_RESUMED,
    GOAL_UPDATED,
)
from contracts.installment_plans import (
    INSTALLMENT_CREATED,
    INSTALLMENT_DELETED,
    INSTALLMENT_PAYMENTS_CHANGED,
    INSTALLMENT_STATUS_CHANGED,
)
from services.budget.process.base import BudgetPolicy
from services.budget.read.placement import zone
from services.budget.read.queries import user_timezone
from shared.envelope import EventEnvelope

#: What each goal event says about the goal being saved for (None: unchanged).
ACTIVE_AFTER: dict[str, bool | None] = {
    GOAL_CREATED: True, GOAL_UPDATED: None, GOAL_PAUSED: False, GOAL_RESUMED: True,
    GOAL_COMPLETED: False, GOAL_CANCELLED: False, GOAL_DELETED: False,
}  # fmt: skip


INSTALLMENT_HANDLED = frozenset(
    {INSTALLMENT_CREATED, INSTALLMENT_PAYMENTS_CHANGED, INSTALLMENT_STATUS_CHANGED,
     INSTALLMENT_DELETED}
)  # fmt: skip
TERMS = ("first_payment_date", "payment_frequency", "total_amount", "payment_amount",
         "total_payments", "payments_made", "status")  # fmt: skip


def installment_facts(event: EventEnvelope) -> dict[str, Any]:
    """What an installment event says of its schedule: whole ``terms``, ``changes`` or (deleted)
    neither — JSON-safe."""
    p = event.payload
    if event.type == INSTALLMENT_CREATED:
        return {"terms": {k: str(p[k]) if k not in ("total_payments", "payments_made") else
                          int(p[k]) for k in TERMS}}  # fmt: skip
    if event.type == INSTALLMENT_DELETED:
        return {}
    return {"changes": {"payments_made": int(p["payments_made"]), "status": str(p["status"])}}


def contribution(event: EventEnvelope) -> Decimal | None:
    """The monthly contribution a created or updated goal names (0 when none); None otherwise."""
    if event.type not in (GOAL_CREATED, GOAL_UPDATED):
        return None
    value = event.payload.get("monthly_contribution")
    return Decimal(str(value)) if value not in (None, "") else Decimal("0.00")


class CommitmentsPolicy(BudgetPolicy):
    """Keep the budget's plan reserving the active goals' monthly contributions (savings) and
    the installments' payments (fixed, on their due days)."""

    name = "budget_commitments"
    sources = ("ledger",)
    handles = frozenset(ACTIVE_AFTER) | INSTALLMENT_HANDLED

    async def decide(self, reader: AsyncConnection[DictRow], event: EventEnvelope) -> None:
        """Follow one goal or installment event onto the user's budget."""
        user = uuid.UUID(str(event.payload["user_id"]))
        timezone = await user_timezone(reader, self.schema, user)
        now = dt.datetime.now(dt.UTC)
        common: dict[str, Any] = {
            "version": event.aggregate_version, "today": now.astimezone(zone(timezone)).date(),
            "timezone": timezone or "UTC", "now": now,
        }  # fmt: skip
        if event.type in INSTALLMENT_HANDLED:
            await asyncio.to_thread(
                self.application.follow_installment, user, event.aggregate_id,
                **common, **installment_facts(event),
            )  # fmt: skip
            return
        await asyncio.to_thread(
            self.application.follow_goal, user, event.aggregate_id, **common,
            amount=contribution(event), active=ACTIVE_AFTER[event.type],
        )  # fmt: skip
