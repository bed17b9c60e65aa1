"""Plan categories, their priorities and kinds, and the roll-up of transaction categories."""

from __future__ import annotations

import re
from enum import Enum
from types import MappingProxyType
from typing import Final

from contracts.budget import PLAN_CATEGORY_OF


class Priority(Enum):
    """How willingly a plan category gives money away in redistribution."""

    SACRED = "sacred"
    PROTECTED = "protected"
    FLEXIBLE = "flexible"
    DISCRETIONARY = "discretionary"


class Kind(Enum):
    """How a plan category's monthly amount is laid out over the days of the month."""

    FIXED = "fixed"  # whole amount on its due day
    SAVINGS = "savings"  # whole amount on day 1
    SPREAD = "spread"  # evenly over all days
    CLUSTERED = "clustered"  # over a few chosen days, weekends first


HOUSING: Final = "housing"
UTILITIES: Final = "utilities"
INSURANCE: Final = "insurance"
SAVINGS: Final = "savings"
FOOD: Final = "food"
TRANSPORTATION: Final = "transportation"
HEALTHCARE: Final = "healthcare"
EDUCATION: Final = "education"
SHOPPING: Final = "shopping"
ENTERTAINMENT: Final = "entertainment"
TRAVEL: Final = "travel"
OTHER: Final = "other"

STANDARD_FIXED: Final = (HOUSING, UTILITIES, INSURANCE)
FLEXIBLE_NEEDS: Final = (FOOD, TRANSPORTATION, HEALTHCARE)
WANTS: Final = (ENTERTAINMENT, SHOPPING, TRAVEL, EDUCATION, OTHER)
# Order in which spread categories are laid out (it decides which days get leftover cents).
SPREAD_ORDER: Final = (FOOD, TRANSPORTATION, HEALTHCARE, SHOPPING, EDUCATION, OTHER)
CLUSTERED: Final = (ENTERTAINMENT, TRAVEL)

_PRIORITY: Final = MappingProxyType(
    {
        HOUSING: Priority.SACRED,
        UTILITIES: Priority.SACRED,
        INSURANCE: Priority.SACRED,
        SAVINGS: Priority.SACRED,
        FOOD: Priority.PROTECTED,
        TRANSPORTATION: Priority.PROTECTED,
        HEALTHCARE: Priority.PROTECTED,
        EDUCATION: Priority.FLEXIBLE,
        SHOPPING: Priority.FLEXIBLE,
        OTHER: Priority.FLEXIBLE,
        ENTERTAINMENT: Priority.DISCRETIONARY,
        TRAVEL: Priority.DISCRETIONARY,
    }
)
PLAN_CATEGORIES: Final = frozenset(_PRIORITY)

# Every transaction category the app may send (top-level and fine names) → its plan category:
# the published table (contracts.budget), the engine's single source of the roll-up.
ROLLUP: Final = PLAN_CATEGORY_OF

# Onboarding fixed-expense names that belong to a standard fixed category.
_FIXED_ALIASES: Final = MappingProxyType(
    {
        "rent": HOUSING,
        "mortgage": HOUSING,
        "housing": HOUSING,
        "utilities": UTILITIES,
        "insurance": INSURANCE,
    }
)
FIXED_PREFIX: Final = "fixed_"

PRIORITY_ORDER: Final = (Priority.DISCRETIONARY, Priority.FLEXIBLE, Priority.PROTECTED)
"""Donor order for redistribution; SACRED never gives."""


class CategoryError(ValueError):
    """A category name the engine cannot use."""


def rollup(transaction_category: str) -> str:
    """Plan category a transaction category rolls up to (``CategoryError`` if unknown)."""
    try:
        return ROLLUP[transaction_category.strip().lower()]
    except KeyError:
        raise CategoryError(f"unknown category {transaction_category!r}") from None


def fixed_category(name: str) -> str:
    """Plan category of an onboarding fixed expense called ``name``.

    "rent"/"mortgage"/"housing" → housing, "utilities" → utilities, "insurance" → insurance.
    Any other name becomes its own SACRED fixed category: lower-case, runs of anything but
    letters and digits become "_" ("Phone Bill" → "phone_bill"). A name that would collide with
    a non-fixed plan category or with a transaction category (e.g. "food" or "subscriptions")
    is prefixed with ``fixed_`` ("fixed_food"), so it never shares a name with spending.
    """
    normalized = re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")
    if not normalized:
        raise CategoryError("a fixed expense needs a name")
    if normalized in _FIXED_ALIASES:
        return _FIXED_ALIASES[normalized]
    if normalized in PLAN_CATEGORIES or normalized in ROLLUP:
        return FIXED_PREFIX + normalized
    return normalized


def priority(category: str) -> Priority:
    """Priority of a plan category; custom fixed categories are SACRED."""
    return _PRIORITY.get(category, Priority.SACRED)


def kind(category: str) -> Kind:
    """Layout kind of a plan category; anything not standard is a fixed category."""
    if category == SAVINGS:
        return Kind.SAVINGS
    if category in CLUSTERED:
        return Kind.CLUSTERED
    if category in SPREAD_ORDER:
        return Kind.SPREAD
    return Kind.FIXED


def is_fixed(category: str) -> bool:
    """True for housing, utilities, insurance and custom fixed categories."""
    return kind(category) is Kind.FIXED
