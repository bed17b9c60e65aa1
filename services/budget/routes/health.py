"""The month's outlook from its grid: the financial health score (budget-engine.md: the past
days' planned and spent, the income the plan sums to, the savings it sets aside) and the
optimization of the plan at the current pace."""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal
from typing import Any, Final

from fastapi import APIRouter
from fastapi.responses import Response

from contracts.budget import DayStatusQuestion
from services.budget.deps import Context, Reader
from services.budget.engine import categories as cat
from services.budget.engine.explain import explain_day
from services.budget.engine.health import DayOutcome, health_score
from services.budget.engine.money import ZERO
from services.budget.engine.optimization import optimize
from services.budget.read.queries import Grid
from services.budget.read.views import month_view, per_category, range_view
from shared.api import ok
from shared.dates import local_day

router = APIRouter()
RISK_LEVELS: Final = ((30, "low"), (60, "medium"))


def outcomes(days: Grid, first: dt.date, last: dt.date) -> list[DayOutcome]:
    """Each day of [first, last]: planned spending (savings are not spending) and spent."""
    out = []
    day = first
    while day <= last:
        cells = days.get(day, {})
        planned = sum((p for c, (p, _) in cells.items() if c != cat.SAVINGS), ZERO)
        spent = sum((s for _, s in cells.values()), ZERO)
        out.append(DayOutcome(planned, spent))
        day += dt.timedelta(days=1)
    return out


def scored(days: Grid, first: dt.date, last: dt.date, previous: int | None) -> dict[str, Any]:
    """The score of the days [first, last] of one month, income and savings pro-rated."""
    length = calendar.monthrange(first.year, first.month)[1]
    share = Decimal((last - first).days + 1) / length
    income = sum((p for cells in days.values() for p, _ in cells.values()), ZERO)
    savings = sum((cells.get(cat.SAVINGS, (ZERO, ZERO))[0] for cells in days.values()), ZERO)
    found = health_score(
        outcomes(days, first, last),
        income=income * share,
        planned_savings=savings * share,
        previous_score=previous,
    )
    return found.as_dict()


@router.get("/budget/health-score")
async def health(caller: Reader, ctx: Context) -> Response:
    """This month's past days scored (today too on the 1st), with last month's score as the
    trend's reference, a risk score and recommendations."""
    today = await ctx.today(caller.sub)
    first = today.replace(day=1)
    before = first - dt.timedelta(days=1)
    async with ctx.pool.connection() as conn:
        month = await month_view(conn, ctx.schema, caller.sub, today.year, today.month)
        last_month = await month_view(conn, ctx.schema, caller.sub, before.year, before.month)
    if not any(p for cells in month.values() for p, _ in cells.values()):
        return ok({"score": 0, "grade": "F", "components": {}, "improvements": [],
                   "trend": "stable", "risk_score": 100, "risk_level": "unknown",
                   "recommendations": ["Finish onboarding to get a budget and a health score."],
                   "has_plan": False})  # fmt: skip
    previous = None
    if any(p for cells in last_month.values() for p, _ in cells.values()):
        previous = int(scored(last_month, before.replace(day=1), before, None)["score"])
    last = max(first, today - dt.timedelta(days=1))
    data = scored(month, first, last, previous)
    risk = 100 - int(data["score"])
    level = next((name for below, name in RISK_LEVELS if risk < below), "high")
    return ok({**data, "risk_score": risk, "risk_level": level,
               "recommendations": list(data["improvements"]), "previous_score": previous,
               "has_plan": True})  # fmt: skip


@router.get("/budget/optimization")
async def optimization(caller: Reader, ctx: Context) -> Response:
    """Where each category is heading this month, and the moves that would keep the plan."""
    today = await ctx.today(caller.sub)
    async with ctx.pool.connection() as conn:
        month = await month_view(conn, ctx.schema, caller.sub, today.year, today.month)
    planned, spent = per_category(month)
    return ok({"year": today.year, "month": today.month, **optimize(planned, spent, today)})


@router.post("/budget/day-status-explanation")
async def day_status_explanation(body: DayStatusQuestion, caller: Reader, ctx: Context) -> Response:
    """Why a day (default: today) has its status, with its own planned and spent."""
    zone = await ctx.zone_of(caller.sub)
    day = local_day(body.date, zone) if body.date is not None else ctx.now().astimezone(zone).date()
    async with ctx.pool.connection() as conn:
        cells = (await range_view(conn, ctx.schema, caller.sub, day, day)).get(day, {})
    return ok(explain_day(day, cells, body.status))
