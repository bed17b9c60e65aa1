"""Peer comparison by income tier (internal routes)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from services.insights import cohort
from services.insights.deps import (
    AskedMonth,
    AskedYear,
    Context,
    HeaderZone,
    InsightsContext,
    Reader,
    viewing,
)
from services.insights.read.queries import Reads, cohort_month, month_bounds
from shared import tokens
from shared.api import ok

router = APIRouter()


@router.get("/cohort/income_classification")
async def income_classification(caller: Reader, ctx: Context) -> Response:
    """The caller's income tier (the app's five)."""
    async with ctx.pool.connection() as conn:
        person = await Reads(conn, ctx.schema).person(caller.sub)
    return ok(cohort.classification(person.income))


async def compared(
    ctx: InsightsContext,
    caller: tokens.Claims,
    zone: str | None,
    year: int | None,
    month: int | None,
) -> dict[str, Any]:
    """The caller's month against the tier's."""
    async with viewing(ctx, caller, zone) as (reads, person, today):
        start, end = month_bounds(year or today.year, month or today.month, person.zone)
        key, low, high, _, _ = cohort.tier_of(person.income)
        mine_rows = await reads.by_category(caller.sub, start, end)
        rows = await cohort_month(reads, low, high, start, end, caller.sub)
    peers: dict[Any, Decimal] = defaultdict(Decimal)
    by_category: dict[str, list[Decimal]] = defaultdict(list)
    for row in rows:
        peers[row["user_id"]] += row["amount"]
        by_category[row["category"]].append(row["amount"])
    mine = {r["category"]: r["amount"] for r in mine_rows}
    total = sum(mine.values(), Decimal("0.00"))
    return cohort.comparison(total, mine, dict(peers), dict(by_category), key, person.currency)


@router.get("/cohort/peer_comparison")
async def peer_comparison(
    caller: Reader,
    ctx: Context,
    zone: HeaderZone,
    year: AskedYear = None,
    month: AskedMonth = None,
) -> Response:
    """The caller's month against people of the same income tier (aggregates only)."""
    return ok(await compared(ctx, caller, zone, year, month))


@router.get("/cohort/insights")
async def cohort_insights(caller: Reader, ctx: Context, zone: HeaderZone) -> Response:
    """The caller's rank in the tier this month and what the figures suggest."""
    return ok(cohort.cohort_insights(await compared(ctx, caller, zone, None, None)))
