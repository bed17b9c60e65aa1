"""A month's plan from the onboarding answers, under a budget mode (pure)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from services.budget.engine.daily import DayPlan, distribute_month
from services.budget.engine.modes import Mode, mode_of
from services.budget.engine.plan import MonthlyPlan, build_plan


def _section(answers: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = answers.get(name)
    return value if isinstance(value, Mapping) else {}


def plan_from_answers(
    answers: Mapping[str, Any],
    mode: Mode | None = None,
    wants_weights: Mapping[str, Decimal] | None = None,
    reserved: Decimal = Decimal("0.00"),
) -> MonthlyPlan:
    """The monthly plan the onboarding answers describe under a budget mode (``PlanError``
    when none can be made). Learned ``wants_weights`` count only in a learning mode;
    ``reserved`` (the active goals' contributions) is saved on top."""
    chosen = mode or mode_of(None)
    income = _section(answers, "income")
    habits = _section(answers, "spending_habits")
    goals = _section(answers, "goals")
    travel = habits.get("travel_per_year")
    return build_plan(
        income.get("monthly_income", 0),
        additional_income=income.get("additional_income"),
        fixed_expenses=dict(_section(answers, "fixed_expenses")),
        savings_goal=goals.get("savings_goal_amount_per_month"),
        travel_per_year=None if travel is None else int(travel),
        method=chosen.method,
        wants_weights=wants_weights if chosen.learned else None,
        reserved=reserved,
    )


def layout(
    plan: MonthlyPlan,
    answers: Mapping[str, Any],
    user_id: uuid.UUID,
    year: int,
    month: int,
    mode: Mode | None = None,
) -> DayPlan:
    """The plan laid out over the days of (year, month) as the budget mode lays it out."""
    per_month = _section(answers, "spending_habits").get("entertainment_per_month")
    return distribute_month(
        plan.categories,
        year,
        month,
        user_id=str(user_id),
        entertainment_per_month=None if per_month is None else int(per_month),
        spread_clustered=(mode or mode_of(None)).spread_clustered,
    )
