"""Budget HTTP API (internal; the gateway publishes it under /api): parse, decide, answer."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from contracts.budget import OnboardingRequest, ShellRequest
from services.budget.application import Moved, Onboarded
from services.budget.deps import BudgetContext, Context, Manager, MonthAsked, Reader
from services.budget.engine import categories as cat
from services.budget.engine.daily import distribute_month
from services.budget.engine.money import ZERO, split_largest_remainder
from services.budget.engine.plan import PlanError, build_plan, fixed_by_category
from services.budget.read.placement import zone
from services.budget.read.queries import (
    Grid,
    calendar_entry,
    daily_row,
    day_detail,
    day_transactions,
    has_plan,
    month_bounds,
    moves,
    spent_of,
)
from services.budget.read.views import (
    live_figures,
    month_forecast_of,
    month_view,
    range_view,
    remaining_figures,
)
from shared.api import invalid, ok, positioned
from shared.dates import DayOrInstant, local_day

router = APIRouter()
MAX_RANGE_DAYS = 366


def a_day(year: int, month: int, day: int = 1) -> dt.date:
    """A calendar day from path parts (422 when there is no such day)."""
    try:
        return dt.date(year, month, day)
    except (ValueError, OverflowError) as exc:
        raise invalid("date", f"no such day: {exc}") from exc


async def month_grid(ctx: BudgetContext, user: uuid.UUID, year: int, month: int) -> Grid:
    """The month's grid (computed from the latest answers if it is not planned yet)."""
    async with ctx.pool.connection() as conn:
        return await month_view(conn, ctx.schema, user, year, month)


async def stored_month(ctx: BudgetContext, user: uuid.UUID, year: int, month: int) -> Grid:
    """For commands: plan the month first if it is missing (rollover), then its grid."""
    await ctx.caught_up(await ctx.run(ctx.application.ensure_month, user, year, month))
    return await month_grid(ctx, user, year, month)


@router.post("/onboarding/submit")
async def submit(body: OnboardingRequest, caller: Manager, ctx: Context) -> Response:
    """Store the answers and (re)plan this month from today on and the next month."""
    # Without a zone in the answers the profile's (from registration or PATCH /users/me) holds.
    zone_name = body.timezone or await ctx.zone_name(caller.sub)
    today = ctx.now().astimezone(zone(zone_name)).date()
    try:
        done: Onboarded = await ctx.run(
            partial(ctx.application.submit_onboarding, zone_in_force=zone_name),
            caller.sub,
            body.answers(),
            body.timezone,
            today,
        )
    except PlanError as exc:
        raise invalid("fixed_expenses" if "Fixed" in str(exc) else "income", str(exc)) from exc
    await ctx.caught_up(done.position)
    data = {
        "status": "success",
        "calendar_days": len(done.days),
        "budget_plan": done.plan.as_payload(),
        "message": "Budget plan created",
    }
    return ok(data, message="Onboarding completed", headers=positioned(done.position))


@router.get("/calendar/saved/{year}/{month}")
async def saved(year: int, month: int, caller: Reader, ctx: Context) -> Response:
    """One entry per day of the month (an empty list when the month has no plan)."""
    a_day(year, month)
    days = await month_grid(ctx, caller.sub, year, month)
    if not has_plan(days):
        return ok({"calendar": []})
    start, end = month_bounds(year, month)
    entries = [
        calendar_entry(start + dt.timedelta(days=n), days.get(start + dt.timedelta(days=n), {}))
        for n in range((end - start).days + 1)
    ]
    return ok({"calendar": entries})


@router.get("/calendar/day/{year}/{month}/{day}")
async def one_day(year: int, month: int, day: int, caller: Reader, ctx: Context) -> Response:
    """A day's limit, spending per category and its transactions."""
    date = a_day(year, month, day)
    async with ctx.pool.connection() as conn:
        cells = (await range_view(conn, ctx.schema, caller.sub, date, date)).get(date, {})
        txs = await day_transactions(conn, ctx.schema, caller.sub, date)
    return ok(day_detail(date, cells, txs))


@router.post("/calendar/shell")
async def shell(body: ShellRequest, caller: Reader) -> Response:
    """Preview a month's calendar from the given numbers (nothing is stored)."""
    try:
        fixed = fixed_by_category(body.fixed)
        discretionary = body.income - sum(fixed.values(), ZERO) - body.savings_target
        if discretionary < 0:
            raise PlanError("fixed expenses and savings target exceed the income")
        if body.weights:
            weights: dict[str, Decimal] = {}
            for name, weight in sorted(body.weights.items()):
                key = name if name in cat.PLAN_CATEGORIES else cat.rollup(name)
                weights[key] = weights.get(key, ZERO) + weight
            parts = split_largest_remainder(discretionary, list(weights.values()))
            categories = {**fixed, **dict(zip(weights, parts, strict=True))}
            if body.savings_target:
                categories[cat.SAVINGS] = categories.get(cat.SAVINGS, ZERO) + body.savings_target
        else:
            categories = dict(
                build_plan(
                    body.income, fixed_expenses=body.fixed, savings_goal=body.savings_target
                ).categories
            )
    except (PlanError, cat.CategoryError) as exc:
        field = "weights" if isinstance(exc, cat.CategoryError) else "income"
        raise invalid(field, str(exc)) from exc
    layout = distribute_month(categories, body.year, body.month, user_id=str(caller.sub))
    entries = [
        {
            "date": day.isoformat(),
            "planned_budget": dict(sorted(amounts.items())),
            "limit": sum(amounts.values(), ZERO),
            "total": 0,
        }
        for day, amounts in sorted(layout.items())
    ]
    return ok({"calendar": entries})


@router.get("/budget/live_status")
async def live(caller: Reader, ctx: Context) -> Response:
    """Today's budget and the month so far."""
    today = await ctx.today(caller.sub)
    days = await month_grid(ctx, caller.sub, today.year, today.month)
    data = live_figures(days, today)
    return ok(data)


@router.get("/budget/daily")
async def daily(
    caller: Reader,
    ctx: Context,
    start_date: Annotated[DayOrInstant | None, Query()] = None,
    end_date: Annotated[DayOrInstant | None, Query()] = None,
) -> Response:
    """One row per day between the dates (default: the current month); a datetime names its
    user-local day."""
    tz = await ctx.zone_of(caller.sub)
    today = ctx.now().astimezone(tz).date()
    first, last = month_bounds(today.year, today.month)
    start = local_day(start_date, tz) if start_date is not None else first
    end = local_day(end_date, tz) if end_date is not None else last
    if start > end:
        raise invalid("start_date", "start_date must not be after end_date")
    if (end - start).days >= MAX_RANGE_DAYS:
        raise invalid("end_date", f"at most {MAX_RANGE_DAYS} days per request")
    async with ctx.pool.connection() as conn:
        days = await range_view(conn, ctx.schema, caller.sub, start, end)
    rows = [
        daily_row(start + dt.timedelta(days=n), days.get(start + dt.timedelta(days=n), {}))
        for n in range((end - start).days + 1)
    ]
    return ok(rows)


@router.get("/budget/remaining")
async def remaining_budget(caller: Reader, ctx: Context, asked: MonthAsked) -> Response:
    """Planned minus spent per category over the month."""
    days = await month_grid(ctx, caller.sub, asked.year, asked.month)
    return ok(remaining_figures(days))


@router.post("/budget/redistribute")
async def redistribute(caller: Manager, ctx: Context) -> Response:
    """Month-level rebalance: past surpluses fund past deficits on future days."""
    today = await ctx.today(caller.sub)
    days = await stored_month(ctx, caller.sub, today.year, today.month)
    done: Moved = await ctx.run(
        ctx.application.redistribute, caller.sub, today, spent_of(days), ctx.now()
    )
    await ctx.caught_up(done.position)
    data: dict[str, Any] = {
        "moves": [m.as_dict() for m in done.moves],
        "total_moved": done.total,
    }
    return ok(data, message="Budget redistributed" if done.moves else "Nothing to redistribute")


@router.get("/budget/redistribution_history")
async def history(caller: Reader, ctx: Context) -> Response:
    """Every move of planned money, newest first."""
    async with ctx.pool.connection() as conn:
        rows = await moves(conn, ctx.schema, caller.sub)
    return ok(rows)


@router.get("/budget/forecast")
async def month_forecast(caller: Reader, ctx: Context) -> Response:
    """Where the month is heading at the current pace."""
    today = await ctx.today(caller.sub)
    days = await month_grid(ctx, caller.sub, today.year, today.month)
    result = month_forecast_of(days, today)
    return ok(result.as_dict())
