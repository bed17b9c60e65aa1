"""Time travel: a user's calendar and what was left of it, as they stood at an instant,
folded from the log into temporary tables of a connection of its own."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import DictRow

from services.budget.engine.money import ZERO
from services.budget.read.placement import zone
from services.budget.read.projections import BudgetDaysProjection
from services.budget.read.queries import (
    calendar_entry,
    grid,
    month_bounds,
    remaining,
    totals,
    user_timezone,
)
from shared.replay import TEMP_SCHEMA, fold_as_of
from shared.settings import MitaSettings


async def budget_as_of(
    conn: AsyncConnection[DictRow],
    settings: MitaSettings,
    user: uuid.UUID,
    as_of: dt.datetime,
    month: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """The calendar of ``month`` (default: the user-local month of ``as_of``), its totals and
    the remaining money per category as the user saw them at ``as_of``."""
    folded = await fold_as_of(conn, settings, [BudgetDaysProjection(TEMP_SCHEMA)], user, as_of)
    zone_name = await user_timezone(conn, TEMP_SCHEMA, user) or "UTC"
    local = as_of.astimezone(zone(zone_name)).date()
    year, number = month or (local.year, local.month)
    start, end = month_bounds(year, number)
    days = await grid(conn, TEMP_SCHEMA, user, start, end)
    entries = [
        calendar_entry(start + dt.timedelta(days=n), days.get(start + dt.timedelta(days=n), {}))
        for n in range((end - start).days + 1)
    ]
    day_totals = [totals(cells) for cells in days.values()]
    planned = sum((p for p, _ in day_totals), ZERO)
    spent = sum((s for _, s in day_totals), ZERO)
    return {
        "as_of": as_of,
        "events": folded,
        "timezone": zone_name,
        "local_date": local.isoformat(),
        "month": f"{year:04d}-{number:02d}",
        "planned": planned,
        "spent": spent,
        "remaining": planned - spent,
        "remaining_by_category": remaining(days),
        "calendar": entries if any(e["total"] or e["spent"] for e in entries) else [],
    }
