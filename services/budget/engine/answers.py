"""A month's plan from the onboarding answers, under a budget mode (pure)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from services.budget.engine.daily import DayPlan, distribute_month, place_payments
from services.budget.engine.modes import Mode, mode_of
from services.budget.engine.money import ZERO
from services.budget.engine.plan import MonthlyPlan, PlanError, build_plan, fixed_by_category


def _section(answers: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = answers.get(name)
    return value if isinstance(value, Mapping) else {}


#: The fixed plan category of the month's installment payments (placed on their due days).
INSTALLMENTS = "installments"


def _income(income: Mapping[str, Any]) -> Decimal:
    try:
        return Decimal(str(income.get("monthly_income") or 0)) + Decimal(
            str(income.get("additional_income") or 0)
        )
    except ArithmeticError:
        return ZERO  # build_plan refuses it with a clear message


def _fixed_total(fixed: Mapping[str, Any]) -> Decimal:
    try:
        return sum((Decimal(str(v)) for v in fixed.values()), ZERO)
    except ArithmeticError:
        return ZERO


def plan_from_answers(
    answers: Mapping[str, Any],
    mode: Mode | None = None,
    wants_weights: Mapping[str, Decimal] | None = None,
    reserved: Decimal = Decimal("0.00"),
    payments: Decimal = Decimal("0.00"),
) -> MonthlyPlan:
    """The monthly plan the onboarding answers describe under a budget mode (``PlanError``
    when none can be made). Learned ``wants_weights`` count only in a learning mode;
    ``reserved`` (the active goals' contributions) is saved on top; ``payments`` (the month's
    installment payments) is the fixed ``installments`` line, as much of it as the income
    leaves after the other fixed expenses."""
    chosen = mode or mode_of(None)
    income = _section(answers, "income")
    habits = _section(answers, "spending_habits")
    goals = _section(answers, "goals")
    travel = habits.get("travel_per_year")
    fixed: dict[str, Any] = dict(_section(answers, "fixed_expenses"))
    if payments > 0:
        line = min(payments, max(ZERO, _income(income) - _fixed_total(fixed)))
        fixed[INSTALLMENTS] = line + Decimal(str(fixed.get(INSTALLMENTS, 0)))
    return build_plan(
        income.get("monthly_income", 0),
        additional_income=income.get("additional_income"),
        fixed_expenses=fixed,
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


def fixed_named(answers: Mapping[str, Any], category: str) -> Decimal:
    """What the onboarding fixed expenses put in plan ``category`` (so a user's own
    "installments" expense stays on its due day)."""
    fixed = _section(answers, "fixed_expenses")
    try:
        by = fixed_by_category(dict(fixed))
    except PlanError:
        return ZERO
    return by.get(category, ZERO)


def plan_month(
    answers: Mapping[str, Any],
    user_id: uuid.UUID,
    year: int,
    month: int,
    *,
    mode: Mode | None = None,
    wants_weights: Mapping[str, Decimal] | None = None,
    reserved: Decimal = ZERO,
    payments: Mapping[dt.date, Decimal] | None = None,
) -> tuple[MonthlyPlan, DayPlan]:
    """The plan of (year, month) and its days: the answers under the mode, the goals' reserve
    saved on top, the installment payments fixed on their due days (``PlanError`` when no plan
    can be made)."""
    due = dict(payments or {})
    plan = plan_from_answers(answers, mode, wants_weights, reserved, sum(due.values(), ZERO))
    days = layout(plan, answers, user_id, year, month, mode)
    line = plan.categories.get(INSTALLMENTS, ZERO) - fixed_named(answers, INSTALLMENTS)
    return plan, place_payments(days, INSTALLMENTS, line, due)
