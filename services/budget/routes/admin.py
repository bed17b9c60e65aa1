"""Admin reads of the budget: a user's state as of an instant (time travel)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from services.budget.deps import Context
from services.budget.read.asof import budget_as_of
from services.budget.read.placement import zone
from shared import db
from shared.api import ok
from shared.dates import DayOrInstant
from shared.identity import AdminClaims
from shared.replay import as_of_bound

router = APIRouter()


@router.get("/admin/users/{user_id:uuid}/as-of")
async def as_of(
    _: AdminClaims,
    ctx: Context,
    user_id: uuid.UUID,
    as_of: Annotated[DayOrInstant, Query()],
    year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
    month: Annotated[int | None, Query(ge=1, le=12)] = None,
) -> Response:
    """A user's calendar and balances as they stood at ``as_of`` (a date: the end of that
    user-local day), rebuilt from the log."""
    until = as_of_bound(as_of, zone(await ctx.zone_name(user_id)))
    shown = (year, month) if year is not None and month is not None else None
    # A connection of its own: the fold's temporary tables vanish with it.
    conn = await db.connect(ctx.settings.database_url)
    try:
        return ok(await budget_as_of(conn, ctx.settings, user_id, until, shown))
    finally:
        await conn.close()
