"""AI snapshots (`POST /ai/snapshot?year&month`, `GET /ai/latest-snapshots`, internal): a
month rated from the caller's own figures, stored so the screen shows the latest."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

from fastapi import APIRouter
from starlette.responses import Response

from services.insights import analytics, behavior, snapshots
from services.insights.deps import (
    AskedMonth,
    AskedYear,
    Context,
    HeaderZone,
    Reader,
    Writer,
    viewing,
)
from services.insights.read.queries import (
    Reads,
    history,
    latest_snapshots,
    month_bounds,
    shift,
)
from services.insights.routes.ai import asked
from shared.api import ok, positioned

router = APIRouter()
PROJECTION: Final = "insights_snapshots"
USUAL_MONTHS: Final = 3
LATEST: Final = 12


@router.post("/ai/snapshot")
async def take(
    caller: Writer, ctx: Context, zone: HeaderZone, year: AskedYear = None, month: AskedMonth = None
) -> Response:
    """Rate the month as it stands and keep it (nothing new is stored when nothing changed)."""
    async with viewing(ctx, caller, zone) as (reads, person, today):
        y, m = asked(today, year, month)
        this = await analytics.monthly(reads, caller.sub, person, y, m)
        start, end = month_bounds(y, m, person.zone)
        rows = behavior.local_rows(await history(reads, caller.sub, start, end), person.zone)
        before, _ = month_bounds(*shift(y, m, -USUAL_MONTHS), person.zone)
        earlier = await reads.by_month(caller.sub, before, start, person.zone_name)
    totals = [r["total"] for r in earlier.values() if r["total"]]
    usual = sum(totals, Decimal(0)) / len(totals) if totals else None
    habits = behavior.analysis(rows, f"{y}-{m:02d}", person.currency)["behavioral_score"]
    found = snapshots.snapshot(this, habits, usual, person.currency)
    saved, position = await ctx.run(
        ctx.application.record_snapshot,
        user_id=caller.sub, year=y, month=m, taken_at=ctx.now(), **found,
    )  # fmt: skip
    await ctx.caught_up(position, projection=PROJECTION)
    data: dict[str, Any] = {"year": y, "month": m, **{k: getattr(saved, k) for k in found}}
    data["created_at"] = saved.taken_at
    return ok(data, headers=positioned(position))


@router.get("/ai/latest-snapshots")
async def latest(caller: Reader, ctx: Context) -> Response:
    """The caller's latest snapshots, most recent first (the app shows the first)."""
    async with ctx.pool.connection() as conn:
        rows = await latest_snapshots(Reads(conn, ctx.schema), caller.sub, LATEST)
    return ok(rows)
