"""Month views for the read side: the stored day plans, or a month computed when it has not
been planned yet (queries never write; rollover is the policy's and the rollover command's)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import DictRow

from services.budget.engine.answers import plan_month
from services.budget.engine.forecast import Forecast, forecast
from services.budget.engine.modes import mode_of
from services.budget.engine.money import ZERO
from services.budget.engine.plan import PlanError
from services.budget.engine.status import live_status
from services.budget.profile import scheduled
from services.budget.read.history_queries import planning_inputs
from services.budget.read.queries import Grid, grid, has_plan, month_bounds, remaining, totals


async def month_view(
    conn: AsyncConnection[DictRow], schema: str, user: uuid.UUID, year: int, month: int
) -> Grid:
    """Planned and spent per day-category of a month.

    A month nobody planned yet (the first read of a new month, before any write in it) is
    laid out here from the user's latest answers and mode, exactly as the rollover will store
    it, next to what was already spent; nothing is stored.
    """
    start, end = month_bounds(year, month)
    days = await grid(conn, schema, user, start, end)
    if has_plan(days):
        return days
    inputs = await planning_inputs(conn, schema, user)
    if not inputs.answers:
        return days
    # Months the policies did not plan yet lie ahead: payments already made are not due there.
    payments: dict[dt.date, Decimal] = {}
    for terms in inputs.installments:
        for day, amount in scheduled(terms, year, month, skip_made=True):
            payments[day] = payments.get(day, ZERO) + amount
    try:
        _, laid_out = plan_month(
            inputs.answers, user, year, month, mode=mode_of(inputs.mode),
            wants_weights=inputs.weights, reserved=inputs.reserved, payments=payments,
        )  # fmt: skip
    except PlanError:  # answers no plan can be made from were refused when given
        return days
    computed: Grid = {day: dict(cells) for day, cells in days.items()}
    for day, amounts in laid_out.items():
        row = computed.setdefault(day, {})
        for category, amount in amounts.items():
            spent = row.get(category, (ZERO, ZERO))[1]
            row[category] = (Decimal(amount), spent)
    return computed


async def range_view(
    conn: AsyncConnection[DictRow], schema: str, user: uuid.UUID, start: dt.date, end: dt.date
) -> Grid:
    """``month_view`` over the days [start, end] (which may span months)."""
    out: Grid = {}
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        days = await month_view(conn, schema, user, year, month)
        out.update({d: cells for d, cells in days.items() if start <= d <= end})
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def per_category(days: Grid, until: dt.date | None = None) -> tuple[dict[str, Decimal], ...]:
    """Planned and spent per category over the grid's days (up to ``until`` if given)."""
    planned: dict[str, Decimal] = {}
    spent: dict[str, Decimal] = {}
    for day, cells in days.items():
        if until is not None and day > until:
            continue
        for c, (p, s) in cells.items():
            planned[c] = planned.get(c, ZERO) + p
            spent[c] = spent.get(c, ZERO) + s
    return planned, spent


def live_figures(days: Grid, today: dt.date) -> dict[str, Any]:
    """``/budget/live_status``: today's budget and the month so far."""
    planned, spent = totals(days.get(today, {}))
    month_planned = sum((totals(c)[0] for c in days.values()), ZERO)
    month_spent = sum((totals(c)[1] for c in days.values()), ZERO)
    to_date = sum((totals(c)[0] for d, c in days.items() if d <= today), ZERO)
    return {
        "date": today.isoformat(),
        "daily_budget": planned,
        "spent_today": spent,
        "remaining_today": planned - spent,
        "status": live_status(planned, spent),
        "monthly_budget": month_planned,
        "monthly_spent": month_spent,
        "total_budget": month_planned,
        "total_spent": month_spent,
        "on_track": month_spent <= to_date,
    }


def remaining_figures(days: Grid) -> dict[str, Decimal]:
    """``/budget/remaining``: left per plan category, and the month's totals.

    The totals are what the settings screen reads (budget_settings_screen.dart:355-358); no
    plan category has these names.
    """
    planned = sum((totals(c)[0] for c in days.values()), ZERO)
    spent = sum((totals(c)[1] for c in days.values()), ZERO)
    return {
        **remaining(days),
        "total_budget": planned,
        "total_spent": spent,
        "remaining": planned - spent,
    }


def month_forecast_of(days: Grid, today: dt.date) -> Forecast:
    """``/budget/forecast`` of ``today``'s month from its grid."""
    per_planned, per_spent = per_category(days)
    return forecast(
        sum(per_planned.values(), ZERO) if has_plan(days) else None,
        sum(per_spent.values(), ZERO),
        today=today,
        category_planned=per_planned,
        category_spent=per_spent,
    )
