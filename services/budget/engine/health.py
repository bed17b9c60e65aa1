"""Financial health score (0-100) from four components, with a letter grade."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Final

from contracts.budget import grade
from services.budget.engine.money import ZERO
from services.budget.engine.status import Status, status

HUNDRED: Final = Decimal(100)
ONE: Final = Decimal(1)
WEIGHTS: Final = MappingProxyType(
    {
        "budgeting": Decimal("0.25"),
        "spending_efficiency": Decimal("0.30"),
        "saving_potential": Decimal("0.25"),
        "consistency": Decimal("0.20"),
    }
)
VOLATILITY_FACTOR: Final = Decimal("0.10")
MAX_VOLATILITY_PENALTY: Final = Decimal("0.20")
IMPROVE_BELOW: Final = Decimal(70)
TREND_STEP: Final = 2
IMPROVEMENTS: Final = MappingProxyType(
    {
        "budgeting": "Keep more days within their daily budget (green days).",
        "spending_efficiency": "Cut overspending and keep daily spending steadier.",
        "saving_potential": "Spend less than income minus your savings goal to reach the plan.",
        "consistency": "Record your spending every day to keep the budget accurate.",
    }
)


@dataclass(frozen=True)
class DayOutcome:
    """One past day: planned, spent, and whether any spending was tracked (default: spent > 0)."""

    planned: Decimal
    spent: Decimal
    tracked: bool | None = None

    @property
    def was_tracked(self) -> bool:
        """True if the day has tracked spending."""
        return self.spent > 0 if self.tracked is None else self.tracked


@dataclass(frozen=True)
class HealthScore:
    """The score, its grade, the components (0-100, 2 places), tips and the trend."""

    score: int
    grade: str
    components: Mapping[str, Decimal]
    improvements: tuple[str, ...]
    trend: str

    def as_dict(self) -> dict[str, object]:
        """The ``/ai/financial-health-score`` data object."""
        return {
            "score": self.score,
            "grade": self.grade,
            "components": dict(self.components),
            "improvements": list(self.improvements),
            "trend": self.trend,
        }


def _clamp01(value: Decimal) -> Decimal:
    return min(ONE, max(ZERO, value))


def budgeting(days: Sequence[DayOutcome]) -> Decimal:
    """100 * share of the days whose status is green (0 with no days)."""
    if not days:
        return ZERO
    green = sum(1 for d in days if status(d.planned, d.spent) is Status.GREEN)
    return HUNDRED * green / len(days)


def spending_efficiency(days: Sequence[DayOutcome]) -> Decimal:
    """100 * clamp(1 - overspend_ratio - volatility_penalty, 0, 1) (0 with no days).

    overspend_ratio = Σ max(0, spent - planned) / Σ planned (0 if nothing was overspent, 1 if
    something was spent over a zero plan). volatility_penalty = min(0.20, 0.10 * CV) with CV the
    population standard deviation of daily spent divided by its mean (0 if the mean is 0).
    """
    if not days:
        return ZERO
    over = sum((max(ZERO, d.spent - d.planned) for d in days), ZERO)
    planned = sum((d.planned for d in days), ZERO)
    ratio = over / planned if planned > 0 else (ONE if over > 0 else ZERO)
    mean = sum((d.spent for d in days), ZERO) / len(days)
    penalty = ZERO
    if mean > 0:
        variance = sum(((d.spent - mean) ** 2 for d in days), ZERO) / len(days)
        penalty = min(MAX_VOLATILITY_PENALTY, VOLATILITY_FACTOR * variance.sqrt() / mean)
    return HUNDRED * _clamp01(ONE - ratio - penalty)


def saving_potential(spent: Decimal, *, income: Decimal, planned_savings: Decimal) -> Decimal:
    """100 * clamp(actual savings rate ÷ the plan's savings rate, 0, 1), over one period.

    actual savings = income - spent; with the same income both rates share a denominator, so
    this is clamp((income - spent) / planned_savings). With no planned savings it is 100 when
    income covers spending and 0 otherwise; with no income it is 0.
    """
    if income <= 0:
        return ZERO
    actual = income - spent
    if planned_savings <= 0:
        return HUNDRED if actual >= 0 else ZERO
    return HUNDRED * _clamp01(actual / planned_savings)


def consistency(days: Sequence[DayOutcome]) -> Decimal:
    """100 * share of the days with tracked spending (0 with no days)."""
    if not days:
        return ZERO
    return HUNDRED * sum(1 for d in days if d.was_tracked) / len(days)


def health_score(
    days: Sequence[DayOutcome],
    *,
    income: Decimal,
    planned_savings: Decimal,
    previous_score: int | None = None,
) -> HealthScore:
    """Score = 0.25 budgeting + 0.30 efficiency + 0.25 saving + 0.20 consistency.

    ``days`` are the past days of the period, ``income`` and ``planned_savings`` the period's
    (pro-rate them for a partial month). The weighted sum of the exact components is rounded
    half up to an integer. Improvements name every component below 70, weakest weighted
    shortfall first. Trend against ``previous_score``: "improving" (≥ +2), "declining"
    (≤ -2), else "stable".
    """
    spent = sum((d.spent for d in days), ZERO)
    exact = {
        "budgeting": budgeting(days),
        "spending_efficiency": spending_efficiency(days),
        "saving_potential": saving_potential(spent, income=income, planned_savings=planned_savings),
        "consistency": consistency(days),
    }
    total = sum((WEIGHTS[name] * value for name, value in exact.items()), ZERO)
    score = int(total.quantize(ONE, rounding=ROUND_HALF_UP))
    weak = sorted(
        (name for name, value in exact.items() if value < IMPROVE_BELOW),
        key=lambda name: (-(WEIGHTS[name] * (HUNDRED - exact[name])), name),
    )
    trend = "stable"
    if previous_score is not None and score - previous_score >= TREND_STEP:
        trend = "improving"
    elif previous_score is not None and previous_score - score >= TREND_STEP:
        trend = "declining"
    components = {
        name: value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        for name, value in exact.items()
    }
    return HealthScore(
        score=score,
        grade=grade(score),
        components=MappingProxyType(components),
        improvements=tuple(IMPROVEMENTS[name] for name in weak),
        trend=trend,
    )
