"""The home screen (``GET /dashboard``) and ``POST /transactions/check-affordability``.

The budget half of the dashboard lives here; the gateway adds the latest transactions from
the ledger (icons and colors come from ``engine.looks`` so both halves agree).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

from fastapi import APIRouter
from fastapi.responses import Response

from contracts.budget import AffordabilityRequest, look
from services.budget.deps import Context, Reader
from services.budget.engine import categories as cat
from services.budget.engine.affordability import check_affordability
from services.budget.engine.money import ZERO
from services.budget.engine.status import Status, status
from services.budget.read.queries import Grid, totals
from services.budget.read.views import month_view, range_view
from shared.api import ok
from shared.dates import local_day

router = APIRouter()
WEEKDAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def week_of(today: dt.date) -> list[dt.date]:
    """Monday to Sunday of ``today``'s week."""
    monday = today - dt.timedelta(days=today.weekday())
    return [monday + dt.timedelta(days=n) for n in range(7)]


def insight(
    income: Decimal, month_spent: Decimal, today_planned: Decimal, today_spent: Decimal
) -> dict[str, str]:
    """A one-sentence, rule-based preview of the insights screen."""
    if income <= 0:
        return {
            "title": "Set up your budget",
            "text": "Finish onboarding to get a daily budget for every category.",
        }
    if today_spent > today_planned:
        return {
            "title": "Over today's budget",
            "text": f"You spent {today_spent - today_planned} more than planned today; "
            "future days of flexible categories will cover it.",
        }
    share = (Decimal(100) * month_spent / income).quantize(Decimal(1))
    if share >= 90:
        return {
            "title": "Almost out for the month",
            "text": f"You have used {share}% of this month's income.",
        }
    return {
        "title": "On track",
        "text": f"You have used {share}% of this month's income; "
        f"{today_planned - today_spent} is left for today.",
    }


def dashboard(today: dt.date, income: Decimal, month: Grid, week: Grid) -> dict[str, Any]:
    """The budget half of ``/dashboard`` (``transactions`` is added by the gateway)."""
    today_cells = month.get(today, {}) if income > 0 else {}
    today_planned, today_spent = totals(month.get(today, {}))
    month_spent = sum((totals(c)[1] for d, c in month.items() if d <= today), ZERO)
    targets = []
    for category, (planned, spent) in sorted(today_cells.items()):
        if category == cat.SAVINGS or (planned == 0 and spent == 0):
            continue
        icon, color = look(category)
        targets.append(
            {"category": category, "limit": planned, "spent": spent, "icon": icon, "color": color}
        )
    days = []
    for day in week_of(today):
        planned, spent = totals(week.get(day, {}))
        days.append(
            {
                "day": WEEKDAYS[day.weekday()],
                "date": day.isoformat(),
                "status": status(planned, spent).value if income > 0 else Status.GREEN.value,
                "spent": spent,
                "budget": planned,
            }
        )
    return {
        "balance": income - month_spent if income > 0 else ZERO,
        "spent": today_spent,
        "user_income": income,
        "daily_targets": targets,
        "week": days,
        "insights_preview": insight(income, month_spent, today_planned, today_spent),
        "goals": [],
        "goals_summary": {"total_active": 0, "near_completion": 0, "overdue": 0},
    }


def by_category(cells: Mapping[str, tuple[Decimal, Decimal]], index: int) -> dict[str, Decimal]:
    """Planned (0) or spent (1) per category of one day."""
    return {c: values[index] for c, values in cells.items()}


@router.get("/dashboard")
async def home(caller: Reader, ctx: Context) -> Response:
    """Balance, today's targets, the week and an insight (before onboarding: zeros)."""
    today = await ctx.today(caller.sub)
    days = week_of(today)
    async with ctx.pool.connection() as conn:
        month = await month_view(conn, ctx.schema, caller.sub, today.year, today.month)
        week = await range_view(conn, ctx.schema, caller.sub, days[0], days[-1])
    # The month's plan sums to the income exactly (every move conserves it).
    income = sum((p for cells in month.values() for p, _ in cells.values()), ZERO)
    return ok(dashboard(today, income, month, week))


@router.post("/transactions/check-affordability")
async def affordability(body: AffordabilityRequest, caller: Reader, ctx: Context) -> Response:
    """Would ``amount`` in ``category`` fit that day's budget (default: today)?"""
    zone = await ctx.zone_of(caller.sub)
    today = ctx.now().astimezone(zone).date()
    day = local_day(body.date, zone) if body.date is not None else today
    async with ctx.pool.connection() as conn:
        cells = (await range_view(conn, ctx.schema, caller.sub, day, day)).get(day, {})
    result = check_affordability(
        body.category,
        body.amount,
        planned_today=by_category(cells, 0),
        spent_today=by_category(cells, 1),
    )
    return ok({**result.as_dict(), "date": day.isoformat()})
