"""The behaviour screens' reads (`/behavior/*`, internal routes): each from the caller's own
transactions in their local days; ``?year&month`` where the app sends them."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Final

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from contracts.behavior import CalendarIn, ExpenseSuggestionIn
from services.insights import behavior, progress
from services.insights.clusters import RECOMMENDATIONS
from services.insights.deps import (
    AskedMonth,
    AskedYear,
    Context,
    HeaderZone,
    Reader,
    local_today,
    remembered,
    viewing,
)
from services.insights.engine import DISCRETIONARY
from services.insights.read.features import IMPULSE_BELOW
from services.insights.read.queries import Person, Reads, history, month_bounds, shift
from services.insights.routes.ai import PREDICTION_WINDOW_DAYS, asked, recent_days, unusual
from services.insights.routes.behavior import both, my_cluster
from shared.api import ok

router = APIRouter()
WINDOW_DAYS: Final = 90
PATTERN_MONTHS: Final = 12
CategoryName = Annotated[str, Path(min_length=1, max_length=64)]


async def local_history(
    reads: Reads, user: uuid.UUID, person: Person, start: dt.datetime, end: dt.datetime
) -> list[dict[str, Any]]:
    """The caller's live transactions in [start, end), with their local time."""
    return behavior.local_rows(await history(reads, user, start, end), person.zone)


def period(year: int, month: int) -> str:
    """``YYYY-MM``."""
    return f"{year}-{month:02d}"


@router.get("/behavior/analysis")
async def analysis(
    caller: Reader, ctx: Context, zone: HeaderZone, year: AskedYear = None, month: AskedMonth = None
) -> Response:
    """The month's habits, each measured."""
    async with viewing(ctx, caller, zone) as (reads, person, today):
        y, m = asked(today, year, month)
        rows = await local_history(reads, caller.sub, person, *month_bounds(y, m, person.zone))
    return ok(behavior.analysis(rows, period(y, m), person.currency))


@router.get("/behavior/patterns")
async def patterns(
    request: Request,
    caller: Reader,
    ctx: Context,
    zone: HeaderZone,
    year: AskedYear = None,
    month: AskedMonth = None,
) -> Response:
    """Each category of the month against its last 12 months (cached: 13 months' reads)."""

    async def compute(reads: Reads, person: Person, today: dt.date) -> Response:
        y, m = asked(today, year, month)
        start, end = month_bounds(y, m, person.zone)
        earlier_start, _ = month_bounds(*shift(y, m, -PATTERN_MONTHS), person.zone)
        month_rows = await local_history(reads, caller.sub, person, start, end)
        earlier = await reads.by_month_category(caller.sub, earlier_start, start, person.zone_name)
        return ok(behavior.patterns(month_rows, earlier, PATTERN_MONTHS, period(y, m)))

    return await remembered(ctx, caller, zone, request, compute)


@router.get("/behavior/predictions")
async def predictions(caller: Reader, ctx: Context, zone: HeaderZone) -> Response:
    """The next 7 and 30 days at the last 90 days' pace, and what could push them over."""
    async with viewing(ctx, caller, zone) as (reads, person, today):
        daily = await recent_days(reads, caller.sub, person, ctx.now())
        start, end = month_bounds(today.year, today.month, person.zone)
        month_rows = await local_history(reads, caller.sub, person, start, end)
    return ok(
        progress.predictions(
            daily, PREDICTION_WINDOW_DAYS, month_rows, person.income, person.currency
        )
    )


@router.get("/behavior/anomalies")
async def anomalies(
    request: Request,
    caller: Reader,
    ctx: Context,
    zone: HeaderZone,
    year: AskedYear = None,
    month: AskedMonth = None,
    days: Annotated[int | None, Query(ge=1, le=366)] = None,
) -> Response:
    """Unusually large purchases: of the last ``days`` days as a list (getBehaviorAnomalies),
    else of the month with a summary (getBehavioralAnomalies); cached (180 days' history)."""

    async def compute(reads: Reads, person: Person, today: dt.date) -> Response:
        if days is not None:
            end = ctx.now()
            return ok(await unusual(reads, caller.sub, person, end - dt.timedelta(days=days), end))
        y, m = asked(today, year, month)
        found = await unusual(reads, caller.sub, person, *month_bounds(y, m, person.zone))
        summary = {"period": period(y, m), "anomalies": found, "count": len(found),
                   "unusual_total": sum((a["amount"] for a in found), behavior.ZERO)}  # fmt: skip
        return ok(summary)

    return await remembered(ctx, caller, zone, request, compute)


@router.get("/behavior/triggers")
async def triggers(
    caller: Reader, ctx: Context, zone: HeaderZone, year: AskedYear = None, month: AskedMonth = None
) -> Response:
    """Weekdays, times of day, merchants and small buys that come with the month's spending."""
    async with viewing(ctx, caller, zone) as (reads, person, today):
        y, m = asked(today, year, month)
        rows = await local_history(reads, caller.sub, person, *month_bounds(y, m, person.zone))
    return ok(behavior.triggers(rows, period(y, m), person.currency))


async def rates_before(
    reads: Reads, user: uuid.UUID, person: Person, end: dt.datetime
) -> dict[int, Any]:
    """Each weekday's average spending over the 90 local days before ``end``."""
    start = end - dt.timedelta(days=WINDOW_DAYS)
    spent = await reads.by_weekday(user, start, end, person.zone_name)
    first, last = start.astimezone(person.zone).date(), end.astimezone(person.zone).date()
    return behavior.weekday_rates(spent, first, last)


@router.get("/behavior/warnings")
async def warnings(
    caller: Reader, ctx: Context, zone: HeaderZone, year: AskedYear = None, month: AskedMonth = None
) -> Response:
    """Days of the month far over the usual day, and coming days whose weekday tends to be."""
    async with viewing(ctx, caller, zone) as (reads, person, today):
        y, m = asked(today, year, month)
        start, end = month_bounds(y, m, person.zone)
        rows = await local_history(reads, caller.sub, person, start, end)
        rates = await rates_before(reads, caller.sub, person, start)
    first = dt.date(y, m, 1)
    return ok(behavior.warnings(rows, rates, first, today, period(y, m), person.currency))


@router.post("/behavior/calendar")
async def calendar(body: CalendarIn, caller: Reader, ctx: Context, zone: HeaderZone) -> Response:
    """Each day of the month with its expected spending (its weekday's pace of the 90 days
    before the month) and what was spent; in ``data`` and at the top level (the app reads
    both)."""
    async with viewing(ctx, caller, zone) as (reads, person, _):
        start, end = month_bounds(body.year, body.month, person.zone)
        rows = await local_history(reads, caller.sub, person, start, end)
        rates = await rates_before(reads, caller.sub, person, start)
    return both(behavior.behavior_calendar(body.year, body.month, rates, rows))


@router.get("/behavior/progress")
async def behavior_progress(
    caller: Reader,
    ctx: Context,
    zone: HeaderZone,
    months: Annotated[int, Query(ge=1, le=24)] = 6,
) -> Response:
    """The last ``months`` local months, scored, each figure with its direction."""
    async with viewing(ctx, caller, zone) as (reads, person, today):
        keys = [shift(today.year, today.month, -k) for k in range(months - 1, -1, -1)]
        start, _ = month_bounds(*keys[0], person.zone)
        _, end = month_bounds(today.year, today.month, person.zone)
        sums = await reads.month_habits(
            caller.sub, start, end, person.zone_name, list(DISCRETIONARY), IMPULSE_BELOW
        )
    figures = progress.month_figures(sums, [period(y, m) for y, m in keys])
    return ok(progress.progress(figures, person.income, person.currency))


@router.get("/behavior/category/{category}")
async def category(
    category: CategoryName,
    caller: Reader,
    ctx: Context,
    zone: HeaderZone,
    year: AskedYear = None,
    month: AskedMonth = None,
) -> Response:
    """One category's month against the caller's usual month of it (last 3 months)."""
    name = category.strip().lower().replace(" ", "_")
    async with viewing(ctx, caller, zone) as (reads, person, today):
        y, m = asked(today, year, month)
        start, end = month_bounds(y, m, person.zone)
        rows = await local_history(reads, caller.sub, person, start, end)
        before_start, _ = month_bounds(*shift(y, m, -3), person.zone)
        earlier = await reads.by_month_category(caller.sub, before_start, start, person.zone_name)
    totals = [v for (_, _, c), v in earlier.items() if c == name]
    usual = sum(totals, behavior.ZERO) / 3 if totals else None
    return ok(progress.category_insights(name, period(y, m), rows, usual, person.currency))


@router.get("/behavior/recommendations")
async def recommendations(caller: Reader, ctx: Context, zone: HeaderZone) -> Response:
    """What to do next, from this month's habits and the caller's cluster."""
    async with viewing(ctx, caller, zone) as (reads, person, today):
        start, end = month_bounds(today.year, today.month, person.zone)
        rows = await local_history(reads, caller.sub, person, start, end)
        found_cluster = await my_cluster(reads.conn, ctx.schema, caller.sub)
    label = None if isinstance(found_cluster, str) else found_cluster[1]
    found = behavior.analysis(rows, period(today.year, today.month), person.currency)
    advice = list(found["insights"][:2])
    advice += progress.habit_advice(found, person.currency)
    advice += RECOMMENDATIONS.get(label or "", [])
    return ok({"recommendations": advice, "cluster": label})


@router.get("/ai/profile")
async def ai_profile(
    caller: Reader, ctx: Context, zone: HeaderZone, year: AskedYear = None, month: AskedMonth = None
) -> Response:
    """The caller's spending personality for the month: traits, strengths, what to work on."""
    async with viewing(ctx, caller, zone) as (reads, person, today):
        y, m = asked(today, year, month)
        rows = await local_history(reads, caller.sub, person, *month_bounds(y, m, person.zone))
        found_cluster = await my_cluster(reads.conn, ctx.schema, caller.sub)
    label = None if isinstance(found_cluster, str) else found_cluster[1]
    found = behavior.analysis(rows, period(y, m), person.currency)
    answer = progress.profile(found, person.income, label, person.currency)
    answer["recommended_strategies"] += RECOMMENDATIONS.get(label or "", [])
    return ok(answer)


@router.post("/behavior/expense_suggestions")
async def expense_suggestions(
    body: ExpenseSuggestionIn, caller: Reader, ctx: Context, zone: HeaderZone
) -> Response:
    """How an expense being entered compares with the caller's own purchases (the category
    guessed from the description when none is picked)."""
    category = body.category.strip().lower().replace(" ", "_") if body.category else None
    if category is None and body.description:
        guesses = ctx.categorizer.suggest(body.description, body.amount)
        category = guesses[0].category if guesses else None
    async with viewing(ctx, caller, zone) as (reads, person, _):
        now = ctx.now()
        rows = await history(reads, caller.sub, now - dt.timedelta(days=WINDOW_DAYS), now)
    return ok(progress.expense_suggestions(category, body.amount, rows, person.currency))


__all__ = ["local_today", "router"]
