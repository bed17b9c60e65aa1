"""Month forecast (``GET /budget/forecast``): pace, safe daily limit, projection, risks."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from enum import Enum
from typing import Final

from services.budget.engine.money import ZERO, percent, to_cents

RISK_RATIO: Final = Decimal("1.20")
WARNING_PERCENT: Final = 10
RATIO_PLACES: Final = Decimal("0.01")


class ForecastStatus(Enum):
    """Where the month is heading."""

    NO_DATA = "no_data"
    ON_TRACK = "on_track"
    WARNING = "warning"
    DANGER = "danger"


@dataclass(frozen=True)
class CategoryRisk:
    """A category spending faster than planned."""

    category: str
    ratio: Decimal
    days_until_exhausted: int

    def as_dict(self) -> dict[str, object]:
        """The API shape."""
        return {
            "category": self.category,
            "ratio": self.ratio,
            "days_until_exhausted": self.days_until_exhausted,
        }


@dataclass(frozen=True)
class Forecast:
    """The forecast of one month as of one day."""

    status: ForecastStatus
    planned: Decimal
    spent: Decimal
    pace: Decimal
    safe_daily_limit: Decimal
    projected_spend: Decimal
    projected_balance: Decimal
    days_elapsed: int
    days_remaining: int
    categories_at_risk: tuple[CategoryRisk, ...]

    def as_dict(self) -> dict[str, object]:
        """The ``/budget/forecast`` data object."""
        return {
            "status": self.status.value,
            "planned": self.planned,
            "spent": self.spent,
            "pace": self.pace,
            "safe_daily_limit": self.safe_daily_limit,
            "projected_spend": self.projected_spend,
            "projected_balance": self.projected_balance,
            "categories_at_risk": [risk.as_dict() for risk in self.categories_at_risk],
        }


def category_risks(
    category_planned: Mapping[str, Decimal],
    category_spent: Mapping[str, Decimal],
    *,
    days_elapsed: int,
    days_in_month: int,
) -> tuple[CategoryRisk, ...]:
    """Categories whose pace ÷ (planned / days_in_month) ≥ 1.20, highest ratio first.

    ratio = (spent / days_elapsed) ÷ (planned / days_in_month), compared exactly and reported
    rounded half up to 2 places. days_until_exhausted = whole days (rounded down) until the
    remaining planned money is used up at the category's pace; 0 if none is left. Categories
    with nothing planned have no ratio and are not reported.
    """
    risks: list[tuple[Decimal, CategoryRisk]] = []
    for category in sorted(category_planned):
        planned = category_planned[category]
        spent = category_spent.get(category, ZERO)
        if planned <= 0 or spent <= 0:
            continue
        ratio = (spent * days_in_month) / (planned * days_elapsed)
        if ratio < RISK_RATIO:
            continue
        pace = spent / days_elapsed
        left = planned - spent
        days = int((left / pace).to_integral_value(rounding=ROUND_DOWN)) if left > 0 else 0
        rounded = ratio.quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)
        risks.append((ratio, CategoryRisk(category, rounded, days)))
    risks.sort(key=lambda item: -item[0])  # stable: ties stay in name order
    return tuple(risk for _, risk in risks)


def forecast(
    planned_month: Decimal | None,
    spent_month: Decimal,
    *,
    today: dt.date,
    category_planned: Mapping[str, Decimal] | None = None,
    category_spent: Mapping[str, Decimal] | None = None,
) -> Forecast:
    """Forecast ``today``'s month from month-to-date spending (budget-engine.md formulas).

    days_elapsed = today.day; pace = spent / days_elapsed (rounded half up to cents, and that
    rounded pace is used below so the reported numbers add up); days_remaining =
    days_in_month - days_elapsed; safe_daily_limit = (planned - spent) / days_remaining rounded
    half up (0 on the last day; negative when already over plan); projected_spend = spent +
    pace * days_remaining; projected_balance = planned - projected_spend.
    Status: no_data when there is no plan (``planned_month is None``, planned reported as 0);
    on_track if projected_balance ≥ 0; warning if the projected overspend is < 10 % of planned;
    danger otherwise.
    """
    days_in_month = calendar.monthrange(today.year, today.month)[1]
    days_elapsed = today.day
    days_remaining = days_in_month - days_elapsed
    planned = planned_month if planned_month is not None else ZERO
    pace = to_cents(spent_month / days_elapsed)
    safe = to_cents((planned - spent_month) / days_remaining) if days_remaining else ZERO
    projected_spend = spent_month + pace * days_remaining
    projected_balance = planned - projected_spend
    risks: tuple[CategoryRisk, ...] = ()
    if planned_month is None:
        status = ForecastStatus.NO_DATA
    else:
        if projected_balance >= 0:
            status = ForecastStatus.ON_TRACK
        elif -projected_balance < percent(planned, WARNING_PERCENT):
            status = ForecastStatus.WARNING
        else:
            status = ForecastStatus.DANGER
        risks = category_risks(
            category_planned or {},
            category_spent or {},
            days_elapsed=days_elapsed,
            days_in_month=days_in_month,
        )
    return Forecast(
        status=status,
        planned=planned,
        spent=spent_month,
        pace=pace,
        safe_daily_limit=safe,
        projected_spend=projected_spend,
        projected_balance=projected_balance,
        days_elapsed=days_elapsed,
        days_remaining=days_remaining,
        categories_at_risk=risks,
    )
