"""The monthly plan computed from onboarding answers (method 50/30/20)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Final

from services.budget.engine import categories as cat
from services.budget.engine.money import ZERO, MoneyError, split_largest_remainder, to_cents

DEFAULT_METHOD: Final = "50/30/20"
# needs / wants / savings weights, in percent of income.
METHODS: Final = MappingProxyType({DEFAULT_METHOD: (50, 30, 20), "50/20/30": (50, 20, 30)})
FLEXIBLE_NEEDS_WEIGHTS: Final = MappingProxyType(
    {cat.FOOD: 60, cat.TRANSPORTATION: 25, cat.HEALTHCARE: 15}
)
WANTS_WEIGHTS: Final = MappingProxyType(
    {cat.ENTERTAINMENT: 35, cat.SHOPPING: 35, cat.TRAVEL: 10, cat.EDUCATION: 10, cat.OTHER: 10}
)


class PlanError(ValueError):
    """Onboarding answers from which no plan can be made (answered as 422)."""


class FixedExceedsIncome(PlanError):
    """Fixed expenses are larger than the monthly income."""


@dataclass(frozen=True)
class MonthlyPlan:
    """A month's budget: every plan category's monthly amount; they sum to ``total_income``."""

    total_income: Decimal
    fixed_expenses_total: Decimal
    savings_goal: Decimal
    discretionary_total: Decimal
    categories: Mapping[str, Decimal]
    method: str

    def as_payload(self) -> dict[str, object]:
        """The ``budget_plan`` object of the onboarding answer (Decimals kept)."""
        return {
            "total_income": self.total_income,
            "fixed_expenses_total": self.fixed_expenses_total,
            "savings_goal": self.savings_goal,
            "discretionary_total": self.discretionary_total,
            "categories": dict(self.categories),
            "method": self.method,
        }


def _amount(value: Decimal | int | str, what: str) -> Decimal:
    """An onboarding amount rounded half up to cents; negatives refused."""
    try:
        amount = to_cents(Decimal(value))
    except (MoneyError, ArithmeticError, ValueError, TypeError):
        raise PlanError(f"{what} must be a number") from None
    if amount < 0:
        raise PlanError(f"{what} must not be negative")
    return amount


def fixed_by_category(fixed_expenses: Mapping[str, Decimal | int | str]) -> dict[str, Decimal]:
    """Sum the onboarding fixed expenses per plan category ("rent" + "mortgage" → housing)."""
    result: dict[str, Decimal] = {}
    for name, value in fixed_expenses.items():
        try:
            category = cat.fixed_category(name)
        except cat.CategoryError as exc:
            raise PlanError(str(exc)) from None
        result[category] = result.get(category, ZERO) + _amount(value, f"fixed expense {name!r}")
    return result


def build_plan(
    monthly_income: Decimal | int | str,
    *,
    additional_income: Decimal | int | str | None = None,
    fixed_expenses: Mapping[str, Decimal | int | str] | None = None,
    savings_goal: Decimal | int | str | None = None,
    travel_per_year: int | None = None,
    method: str | None = None,
    wants_weights: Mapping[str, Decimal | int] | None = None,
    reserved: Decimal = Decimal("0.00"),
) -> MonthlyPlan:
    """Compute the monthly plan from onboarding answers.

    Rules (budget-engine.md, "Monthly plan"), all amounts in cents:

    * income = monthly + additional; fixed = Σ fixed expenses; fixed > income raises
      ``FixedExceedsIncome``.
    * needs/wants/savings = income split 50/30/20 (largest remainder, so they sum to income).
    * savings = min(max(20 % share, goal), income - max(needs, fixed)): the goal may grow savings
      only out of wants, never out of flexible needs ("as long as it fits"). If fixed > needs,
      the excess comes out of wants first, then out of savings down to 0 — the same formula.
    * ``reserved`` (the monthly contributions of the user's active goals) comes on top of those
      savings, as long as it fits: savings = min(max(share, goal) + reserved, room).
    * flexible needs = max(0, needs - fixed) split food/transportation/healthcare 60/25/15.
    * wants = income - max(needs, fixed) - savings split entertainment/shopping/travel/education/
      other 35/35/10/10/10; ``travel_per_year == 0`` moves travel's weight to shopping
      (``None`` = not answered keeps travel).
    * discretionary = income - fixed - savings = flexible needs + wants (never negative).
    * ``method`` names the needs/wants/savings split (``METHODS``); ``wants_weights`` replaces
      the wants weights (a budget mode's learned ones; the same five categories).

    Inputs are rounded half up to cents (the only rounding point); every split is exact.
    """
    chosen = method or DEFAULT_METHOD
    if chosen not in METHODS:
        raise PlanError(f"unknown budget method {chosen!r}; supported: {', '.join(METHODS)}")
    monthly = _amount(monthly_income, "monthly_income")
    if monthly <= 0:
        raise PlanError("monthly_income must be greater than 0")
    income = monthly + _amount(additional_income or ZERO, "additional_income")
    goal = _amount(savings_goal or ZERO, "savings_goal")
    if travel_per_year is not None and travel_per_year < 0:
        raise PlanError("travel_per_year must not be negative")
    fixed = fixed_by_category(fixed_expenses or {})
    fixed_total = sum(fixed.values(), ZERO)
    if fixed_total > income:
        raise FixedExceedsIncome(
            f"Fixed expenses ({fixed_total}) exceed the monthly income ({income}); "
            "lower the fixed expenses or add the missing income"
        )

    needs, _wants, savings_share = split_largest_remainder(income, list(METHODS[chosen]))
    room = income - max(needs, fixed_total)  # what wants + savings can share
    if reserved < 0:
        raise PlanError("the goals' reserve must not be negative")
    savings = min(max(savings_share, goal) + reserved, room)
    flexible_needs = max(ZERO, needs - fixed_total)
    wants = room - savings

    weights: dict[str, Decimal | int] = dict(WANTS_WEIGHTS)
    if wants_weights is not None:
        if set(wants_weights) != set(WANTS_WEIGHTS) or any(w < 0 for w in wants_weights.values()):
            raise PlanError(f"wants weights must name {', '.join(WANTS_WEIGHTS)}, none negative")
        if sum(wants_weights.values()) <= 0:
            raise PlanError("wants weights must not all be zero")
        weights = {c: wants_weights[c] for c in WANTS_WEIGHTS}
    if travel_per_year == 0:
        weights[cat.SHOPPING] += weights[cat.TRAVEL]
        weights[cat.TRAVEL] = 0

    categories: dict[str, Decimal] = dict(fixed)
    categories[cat.SAVINGS] = savings
    parts = split_largest_remainder(flexible_needs, list(FLEXIBLE_NEEDS_WEIGHTS.values()))
    categories.update(zip(FLEXIBLE_NEEDS_WEIGHTS, parts, strict=True))
    parts = split_largest_remainder(wants, list(weights.values()))
    categories.update(zip(weights, parts, strict=True))

    return MonthlyPlan(
        total_income=income,
        fixed_expenses_total=fixed_total,
        savings_goal=savings,
        discretionary_total=flexible_needs + wants,
        categories=MappingProxyType(categories),
        method=chosen,
    )
