"""The one status rule: green / yellow / red from planned and spent."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from typing import Final

from services.budget.engine.money import ZERO, percent

MIN_TOLERANCE: Final = Decimal("2.00")
MAX_TOLERANCE: Final = Decimal("25.00")
TOLERANCE_PERCENT: Final = 5


class Status(Enum):
    """Status of a day or a day-category."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


def tolerance(planned: Decimal) -> Decimal:
    """How far over plan still counts as yellow: max(2.00, min(25.00, 5 % of planned))."""
    return max(MIN_TOLERANCE, min(MAX_TOLERANCE, percent(planned, TOLERANCE_PERCENT)))


def status(planned: Decimal, spent: Decimal) -> Status:
    """Green if spent ≤ planned, yellow if over by at most ``tolerance``, red otherwise."""
    delta = spent - planned
    if delta <= 0:
        return Status.GREEN
    if delta <= tolerance(planned):
        return Status.YELLOW
    return Status.RED


def live_status(planned: Decimal, spent: Decimal) -> str:
    """``/budget/live_status`` wording: neutral (nothing planned or spent), good, warning, over."""
    if planned == ZERO and spent == ZERO:
        return "neutral"
    return {Status.GREEN: "good", Status.YELLOW: "warning", Status.RED: "over"}[
        status(planned, spent)
    ]
