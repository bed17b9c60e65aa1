"""Budget advice and month-figure routes: suggestions, behavioral and income-based splits,
spending of a month, a month's plan, and today's status per category."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from contracts.budget import AllocationRequest, IncomeRequest, MonthlyRequest
from services.budget.deps import Context, MonthAsked, Reader
from services.budget.engine import categories as cat
from services.budget.engine.advice import (
    MonthFigures,
    behavioral_allocation,
    income_recommendations,
    suggestions,
)
from services.budget.engine.answers import layout, plan_from_answers
from services.budget.engine.forecast import forecast
from services.budget.engine.modes import LEARNING_DAYS, mode_of
from services.budget.engine.money import ZERO
from services.budget.engine.plan import PlanError, build_plan
from services.budget.engine.status import Status, status
from services.budget.read.history_queries import budget_settings, latest_plan, spending_window
from services.budget.read.queries import Grid, grid, has_plan, month_bounds, totals
from services.budget.read.views import per_category
from services.budget.routes.plans import a_day, month_grid
from shared.api import invalid, ok
from shared.dates import DayOrInstant, local_day

router = APIRouter()


@router.get("/budget/suggestions")
async def budget_suggestions(caller: Reader, ctx: Context, asked: MonthAsked) -> Response:
    """Suggestions for a month from its plan and spending (empty when switched off)."""
    today, y, m = asked.today, asked.year, asked.month
    days_in_month = calendar.monthrange(y, m)[1]
    as_of = today if (y, m) == (today.year, today.month) else dt.date(y, m, days_in_month)
    async with ctx.pool.connection() as conn:
        _, automation = await budget_settings(conn, ctx.schema, caller.sub)
    if not automation["smart_suggestions"]:
        data: dict[str, Any] = {
            "enabled": False,
            "suggestions": [],
            "total_count": 0,
            "intelligent_insights": [],
            "category_insights": [],
        }
        return ok(data)
    days = await month_grid(ctx, caller.sub, y, m)
    if not has_plan(days):
        text = "Finish onboarding to get a daily budget and suggestions for every category."
        data = {
            "enabled": True,
            "suggestions": [{"type": "onboarding", "category": None, "priority": "high",
                             "amount": ZERO, "message": text}],
            "total_count": 1,
            "intelligent_insights": [{"message": text, "type": "onboarding", "priority": "high"}],
            "category_insights": [],
        }  # fmt: skip
        return ok(data)
    planned_to_date, spent_to_date = per_category(days, as_of)
    planned_month, spent_month = per_category(days)
    figures = MonthFigures(
        today=as_of,
        days_in_month=days_in_month,
        planned_to_date=planned_to_date,
        spent_to_date=spent_to_date,
        planned_month=planned_month,
        red_days=sum(1 for d, c in days.items() if d <= as_of and status(*totals(c)) is Status.RED),
        forecast=forecast(
            sum(planned_month.values(), ZERO),
            sum(spent_month.values(), ZERO),
            today=as_of,
            category_planned=planned_month,
            category_spent=spent_month,
        ),
    )
    return ok({"enabled": True, "year": y, "month": m, **suggestions(figures)})


@router.post("/budget/behavioral_allocation")
async def allocation(body: AllocationRequest, caller: Reader, ctx: Context) -> Response:
    """Split an amount by the caller's plan blended with the last 90 days of spending."""
    today = await ctx.today(caller.sub)
    start = today - dt.timedelta(days=LEARNING_DAYS)
    async with ctx.pool.connection() as conn:
        _, automation = await budget_settings(conn, ctx.schema, caller.sub)
        plan = await latest_plan(conn, ctx.schema, caller.sub)
        spent, counts = await spending_window(conn, ctx.schema, caller.sub, start, today)
    shares = plan if plan else dict(build_plan(body.total_amount).categories)
    learn = automation["behavioral_learning"]
    data = {
        "total_amount": body.total_amount,
        "allocations": behavioral_allocation(body.total_amount, shares, spent, counts, learn=learn),
        "learned": learn and bool(spent),
        "based_on_plan": plan is not None,
        "transactions_analyzed": sum(counts.values()) if learn else 0,
        "window_days": LEARNING_DAYS,
    }
    return ok(data)


@router.post("/budget/income_based_recommendations")
async def income_based(body: IncomeRequest, caller: Reader, ctx: Context) -> Response:
    """The plan an income would get, keeping the caller's fixed expenses when they fit."""
    async with ctx.pool.connection() as conn:
        mode, _ = await budget_settings(conn, ctx.schema, caller.sub)
        plan = await latest_plan(conn, ctx.schema, caller.sub)
    fixed = {c: a for c, a in (plan or {}).items() if cat.is_fixed(c)}
    method = mode_of(mode).method
    try:
        built = build_plan(body.monthly_income, fixed_expenses=fixed, method=method)
        kept = True
    except PlanError:  # the fixed expenses do not fit this income: a plan without them
        built = build_plan(body.monthly_income, method=method)
        kept = False
    return ok({**income_recommendations(built), "includes_fixed_expenses": kept and bool(fixed)})


@router.get("/budget/spent")
async def spent_in_month(caller: Reader, ctx: Context, asked: MonthAsked) -> Response:
    """What was spent in a month: in all, per plan category and per day."""
    y, m = asked.year, asked.month
    start, end = month_bounds(y, m)
    async with ctx.pool.connection() as conn:
        days = await grid(conn, ctx.schema, caller.sub, start, end)
        _, counts = await spending_window(conn, ctx.schema, caller.sub, start, end)
    planned, spent = per_category(days)
    data = {
        "year": y,
        "month": m,
        "total_spent": sum(spent.values(), ZERO),
        "total_budget": sum(planned.values(), ZERO),
        "categories": {c: v for c, v in sorted(spent.items()) if v},
        "daily": {d.isoformat(): totals(c)[1] for d, c in sorted(days.items()) if totals(c)[1]},
        "transaction_count": sum(counts.values()),
    }
    return ok(data)


@router.post("/budget/monthly")
async def monthly(body: MonthlyRequest, caller: Reader, ctx: Context) -> Response:
    """A month's plan: the stored one, or a preview from ``user_answers`` (nothing stored)."""
    a_day(body.year, body.month)
    if body.user_answers is not None:
        async with ctx.pool.connection() as conn:
            mode_name, _ = await budget_settings(conn, ctx.schema, caller.sub)
        mode = mode_of(mode_name)
        answers = body.user_answers.answers()
        try:
            plan = plan_from_answers(answers, mode)
        except PlanError as exc:
            raise invalid("user_answers", str(exc)) from exc
        laid = layout(plan, answers, caller.sub, body.year, body.month, mode)
        cells: Grid = {d: {c: (a, ZERO) for c, a in amounts.items()} for d, amounts in laid.items()}
        source = "preview"
    else:
        cells = await month_grid(ctx, caller.sub, body.year, body.month)
        source = "plan" if has_plan(cells) else "none"
    planned, spent = per_category(cells)
    start, end = month_bounds(body.year, body.month)
    data = {
        "year": body.year,
        "month": body.month,
        "source": source,
        "total_budget": sum(planned.values(), ZERO),
        "total_spent": sum(spent.values(), ZERO),
        "categories": dict(sorted(planned.items())),
        "days": [
            {
                "date": (start + dt.timedelta(days=n)).isoformat(),
                "limit": totals(cells.get(start + dt.timedelta(days=n), {}))[0],
                "spent": totals(cells.get(start + dt.timedelta(days=n), {}))[1],
            }
            for n in range((end - start).days + 1)
        ]
        if source != "none"
        else [],
    }
    return ok(data)


@router.get("/transactions/budget-status")
async def budget_status(
    caller: Reader, ctx: Context, date: Annotated[DayOrInstant | None, Query()] = None
) -> Response:
    """A day's budget per category (default: today) and its month so far."""
    zone = await ctx.zone_of(caller.sub)
    day = local_day(date, zone) if date is not None else ctx.now().astimezone(zone).date()
    days = await month_grid(ctx, caller.sub, day.year, day.month)
    cells = days.get(day, {})
    month_planned, month_spent = per_category(days, day)
    categories = []
    for c in sorted(set(cells) | {k for k, v in month_planned.items() if v}):
        p, s = cells.get(c, (ZERO, ZERO))
        categories.append(
            {
                "category": c,
                "daily_budget": p,
                "spent_today": s,
                "remaining_today": p - s,
                "status": status(p, s).value,
                "month_planned_to_date": month_planned.get(c, ZERO),
                "month_spent_to_date": month_spent.get(c, ZERO),
            }
        )
    planned, spent = totals(cells)
    data = {
        "date": day.isoformat(),
        "has_plan": has_plan(days),
        "daily_budget": planned,
        "spent_today": spent,
        "remaining_today": planned - spent,
        "status": status(planned, spent).value,
        "categories": categories,
    }
    return ok(data)
