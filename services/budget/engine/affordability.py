"""``POST /transactions/check-affordability``: can a purchase fit today's category budget?"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Final

from services.budget.engine import categories as cat
from services.budget.engine.money import ZERO, to_cents
from services.budget.engine.status import Status, status

HUNDRED: Final = Decimal(100)
SAFE_MAX_PERCENT: Final = Decimal(75)
CAUTION_MAX_PERCENT: Final = Decimal(90)
MAX_ALTERNATIVES: Final = 3


class WarningLevel(Enum):
    """How risky the purchase is for today's budget of its category."""

    SAFE = "safe"
    CAUTION = "caution"
    WARNING = "warning"
    DANGER = "danger"


@dataclass(frozen=True)
class Alternative:
    """Another category with money left today."""

    category: str
    available: Decimal
    percentage_free: Decimal
    daily_budget: Decimal

    def as_dict(self) -> dict[str, object]:
        """The API shape."""
        return {
            "category": self.category,
            "available": self.available,
            "percentage_free": self.percentage_free,
            "daily_budget": self.daily_budget,
        }


@dataclass(frozen=True)
class Affordability:
    """The answer of check-affordability."""

    can_afford: bool
    warning_level: WarningLevel
    category: str
    amount: Decimal
    current_spent: Decimal
    daily_budget: Decimal
    remaining_budget: Decimal
    percentage_used: Decimal
    overage: Decimal
    impact_message: str
    alternative_categories: tuple[Alternative, ...]
    suggestions: tuple[str, ...]
    allow_override: bool

    def as_dict(self) -> dict[str, object]:
        """The ``data`` object of the API answer."""
        return {
            "can_afford": self.can_afford,
            "warning_level": self.warning_level.value,
            "category": self.category,
            "amount": self.amount,
            "current_spent": self.current_spent,
            "daily_budget": self.daily_budget,
            "remaining_budget": self.remaining_budget,
            "percentage_used": self.percentage_used,
            "overage": self.overage,
            "impact_message": self.impact_message,
            "alternative_categories": [a.as_dict() for a in self.alternative_categories],
            "suggestions": list(self.suggestions),
            "allow_override": self.allow_override,
        }


def _plan_category(category: str) -> str:
    """A transaction category rolled up; a plan category as is."""
    name = category.strip().lower()
    return name if name in cat.PLAN_CATEGORIES else cat.rollup(name)


def _percentage(part: Decimal, whole: Decimal) -> Decimal:
    return to_cents(HUNDRED * part / whole)


def alternatives(
    planned_today: Mapping[str, Decimal], spent_today: Mapping[str, Decimal], *, exclude: str
) -> list[Alternative]:
    """Non-SACRED categories other than ``exclude`` with money left today, most left first."""
    found: list[Alternative] = []
    for category, planned in planned_today.items():
        if category == exclude or cat.priority(category) is cat.Priority.SACRED:
            continue
        available = planned - spent_today.get(category, ZERO)
        if planned > 0 and available > 0:
            found.append(Alternative(category, available, _percentage(available, planned), planned))
    found.sort(key=lambda a: (-a.available, a.category))
    return found


def warning_level(daily_budget: Decimal, spent_after: Decimal) -> WarningLevel:
    """Level from the day-category after the purchase.

    Within budget: safe up to 75 % used, caution up to 90 %, warning up to 100 %. Over budget:
    warning while the day-category would still be yellow (the one status rule's tolerance),
    danger once it would be red.
    """
    if spent_after > daily_budget:
        return (
            WarningLevel.WARNING
            if status(daily_budget, spent_after) is Status.YELLOW
            else WarningLevel.DANGER
        )
    used = HUNDRED * spent_after / daily_budget if daily_budget > 0 else ZERO
    if used <= SAFE_MAX_PERCENT:
        return WarningLevel.SAFE
    if used <= CAUTION_MAX_PERCENT:
        return WarningLevel.CAUTION
    return WarningLevel.WARNING


def check_affordability(
    category: str,
    amount: Decimal,
    *,
    planned_today: Mapping[str, Decimal],
    spent_today: Mapping[str, Decimal],
) -> Affordability:
    """Check a purchase of ``amount`` in ``category`` against that day's plan and spending.

    ``planned_today``/``spent_today`` are the day's amounts per plan category; ``category`` may
    be a transaction category (rolled up) and is echoed as given. daily_budget = planned;
    remaining_budget = max(0, planned - spent) before the purchase; percentage_used =
    100 * (spent + amount) / planned, half up to cents (100.00 when nothing is planned but
    something would be spent); overage = max(0, spent + amount - planned); can_afford = no
    overage. Alternatives: up to 3 other non-SACRED categories with money left that day.
    allow_override: the purchase fits, or its overage fits in all the money left today in the
    other categories (so the day as a whole stays within its limit).
    """
    plan_category = _plan_category(category)
    daily_budget = planned_today.get(plan_category, ZERO)
    current_spent = spent_today.get(plan_category, ZERO)
    after = current_spent + amount
    remaining = max(ZERO, daily_budget - current_spent)
    overage = max(ZERO, after - daily_budget)
    full = to_cents(HUNDRED) if after > 0 else ZERO
    used = _percentage(after, daily_budget) if daily_budget > 0 else full
    level = warning_level(daily_budget, after)
    others = alternatives(planned_today, spent_today, exclude=plan_category)
    spare = sum((a.available for a in others), ZERO)
    can_afford = overage == 0
    label = plan_category.replace("_", " ")
    suggestions: list[str] = []
    if can_afford:
        message = f"After this purchase {daily_budget - after} is left for {label} today."
        if level is not WarningLevel.SAFE:
            suggestions.append(f"This uses {used}% of today's {label} budget.")
        else:
            suggestions.append("This purchase fits comfortably in today's budget.")
    else:
        message = f"This purchase exceeds today's {label} budget by {overage}."
        if others:
            best = others[0]
            suggestions.append(
                f"{best.category.capitalize()} has {best.available} left today; "
                "consider using that budget instead."
            )
        if remaining > 0:
            suggestions.append(f"Reduce the amount to {remaining} to stay within budget.")
        suggestions.append(
            "If you go ahead, the overspend is covered from future days of flexible categories."
        )
    return Affordability(
        can_afford=can_afford,
        warning_level=level,
        category=category,
        amount=amount,
        current_spent=current_spent,
        daily_budget=daily_budget,
        remaining_budget=remaining,
        percentage_used=used,
        overage=overage,
        impact_message=message,
        alternative_categories=tuple(others[:MAX_ALTERNATIVES]),
        suggestions=tuple(suggestions),
        allow_override=can_afford or overage <= spare,
    )
