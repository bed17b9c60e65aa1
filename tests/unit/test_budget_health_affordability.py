"""Unit tests of the financial health score and check-affordability."""

from __future__ import annotations

from decimal import Decimal

import pytest

from contracts.budget import grade
from services.budget.engine.affordability import WarningLevel, check_affordability
from services.budget.engine.categories import CategoryError
from services.budget.engine.health import (
    DayOutcome,
    consistency,
    health_score,
    saving_potential,
    spending_efficiency,
)

D = Decimal


@pytest.mark.parametrize(
    ("score", "letter"),
    [
        (100, "A+"),
        (90, "A+"),
        (89, "A"),
        (85, "A"),
        (84, "B+"),
        (80, "B+"),
        (79, "B"),
        (75, "B"),
        (74, "C+"),
        (70, "C+"),
        (69, "C"),
        (65, "C"),
        (64, "D+"),
        (60, "D+"),
        (59, "D"),
        (55, "D"),
        (54, "F"),
        (0, "F"),
    ],
)
def test_grade_table(score: int, letter: str) -> None:
    assert grade(score) == letter


def test_score_from_the_four_weighted_components() -> None:
    days = [
        DayOutcome(D(10), D(5)),
        DayOutcome(D(10), D(10)),
        DayOutcome(D(10), D(13)),  # over by 3 > 2.00 tolerance: red
        DayOutcome(D(10), D(0)),
    ]
    result = health_score(days, income=D(100), planned_savings=D(20))
    # efficiency: 1 - 3/40 - min(0.2, 0.1 * std(5,10,13,0)/7) = 1 - 0.075 - 0.0707… = 0.8543
    assert dict(result.components) == {
        "budgeting": D("75.00"),
        "spending_efficiency": D("85.43"),
        "saving_potential": D("100.00"),
        "consistency": D("75.00"),
    }
    # 0.25*75 + 0.30*85.43 + 0.25*100 + 0.20*75 = 84.38 → 84
    assert result.score == 84
    assert result.grade == "B+"
    assert result.improvements == ()
    assert result.trend == "stable"
    assert result == health_score(days, income=D(100), planned_savings=D(20))


def test_perfect_steady_month_scores_100() -> None:
    days = [DayOutcome(D(10), D(8))] * 30
    result = health_score(days, income=D(1000), planned_savings=D(200))
    assert result.score == 100
    assert result.grade == "A+"
    assert result.as_dict()["components"] == {
        "budgeting": D("100.00"),
        "spending_efficiency": D("100.00"),
        "saving_potential": D("100.00"),
        "consistency": D("100.00"),
    }


def test_no_days_scores_only_saving_potential() -> None:
    result = health_score([], income=D(100), planned_savings=D(20))
    assert result.score == 25
    assert result.grade == "F"
    assert result.improvements == (
        "Cut overspending and keep daily spending steadier.",
        "Keep more days within their daily budget (green days).",
        "Record your spending every day to keep the budget accurate.",
    )


def test_volatility_penalty_is_capped_at_20_points() -> None:
    days = [DayOutcome(D(100), D(0))] * 9 + [DayOutcome(D(100), D(90))]
    # no overspend; CV = 3 → penalty min(0.2, 0.3) = 0.2
    assert spending_efficiency(days) == D("80")


def test_overspend_over_a_zero_plan_is_full_ratio() -> None:
    assert spending_efficiency([DayOutcome(D(0), D(5))]) == D(0)
    assert spending_efficiency([DayOutcome(D(0), D(0))]) == D(100)


@pytest.mark.parametrize(
    ("spent", "income", "planned", "expected"),
    [
        ("900", "1000", "200", "50"),  # saved 100 of a planned 200
        ("700", "1000", "200", "100"),  # saved more than planned: capped
        ("1100", "1000", "200", "0"),  # spent beyond income
        ("1000", "1000", "0", "100"),  # no savings planned, income covers spending
        ("1001", "1000", "0", "0"),
        ("0", "0", "0", "0"),  # no income
    ],
)
def test_saving_potential(spent: str, income: str, planned: str, expected: str) -> None:
    assert saving_potential(D(spent), income=D(income), planned_savings=D(planned)) == D(expected)


def test_consistency_counts_tracked_days() -> None:
    days = [DayOutcome(D(10), D(0), tracked=True), DayOutcome(D(10), D(0)), DayOutcome(D(1), D(1))]
    assert consistency(days).quantize(D("0.01")) == D("66.67")


@pytest.mark.parametrize(
    ("previous", "trend"), [(80, "improving"), (82, "improving"), (83, "stable")]
)
def test_trend(previous: int, trend: str) -> None:
    days = [DayOutcome(D(10), D(5)), DayOutcome(D(10), D(10)), DayOutcome(D(10), D(13))]
    days.append(DayOutcome(D(10), D(0)))
    result = health_score(days, income=D(100), planned_savings=D(20), previous_score=previous)
    assert result.trend == trend
    assert health_score(days, income=D(100), planned_savings=D(20), previous_score=86).trend == (
        "declining"
    )


# --- check-affordability ---------------------------------------------------------------------

PLANNED = {
    "food": D("40.00"),
    "entertainment": D("30.00"),
    "shopping": D("10.00"),
    "other": D("5.00"),
    "housing": D("100.00"),
    "savings": D("50.00"),
}
SPENT = {"food": D("10.00"), "shopping": D("10.00"), "other": D("1.00")}


def check(category: str, amount: str) -> dict[str, object]:
    """Check against the day above."""
    result = check_affordability(category, D(amount), planned_today=PLANNED, spent_today=SPENT)
    return result.as_dict()


@pytest.mark.parametrize(
    ("amount", "level", "used", "can_afford"),
    [
        ("20.00", "safe", "75.00", True),  # 30 of 40
        ("20.01", "caution", "75.03", True),
        ("26.00", "caution", "90.00", True),
        ("26.01", "warning", "90.03", True),
        ("30.00", "warning", "100.00", True),
        ("32.00", "warning", "105.00", False),  # over by 2.00: still yellow
        ("32.01", "danger", "105.03", False),  # red
    ],
)
def test_warning_levels(amount: str, level: str, used: str, can_afford: bool) -> None:
    answer = check("food", amount)
    assert answer["warning_level"] == level
    assert answer["percentage_used"] == D(used)
    assert answer["can_afford"] is can_afford


def test_affordable_purchase() -> None:
    answer = check("groceries", "20.00")
    assert answer["category"] == "groceries"  # echoed; checked against food
    assert answer["daily_budget"] == D("40.00")
    assert answer["current_spent"] == D("10.00")
    assert answer["remaining_budget"] == D("30.00")
    assert answer["overage"] == D("0")
    assert answer["impact_message"] == "After this purchase 10.00 is left for food today."
    assert answer["allow_override"] is True
    assert answer["suggestions"] == ["This purchase fits comfortably in today's budget."]
    assert set(answer) == {
        "can_afford", "warning_level", "category", "amount", "current_spent", "daily_budget",
        "remaining_budget", "percentage_used", "overage", "impact_message",
        "alternative_categories", "suggestions", "allow_override",
    }  # fmt: skip


def test_over_budget_offers_alternatives_and_override_when_the_day_has_room() -> None:
    answer = check("food", "32.01")
    assert answer["overage"] == D("2.01")
    assert answer["impact_message"] == "This purchase exceeds today's food budget by 2.01."
    # shopping has nothing left; housing and savings are SACRED
    assert answer["alternative_categories"] == [
        {
            "category": "entertainment",
            "available": D("30.00"),
            "percentage_free": D("100.00"),
            "daily_budget": D("30.00"),
        },
        {
            "category": "other",
            "available": D("4.00"),
            "percentage_free": D("80.00"),
            "daily_budget": D("5.00"),
        },
    ]
    assert answer["allow_override"] is True
    assert answer["suggestions"] == [
        "Entertainment has 30.00 left today; consider using that budget instead.",
        "Reduce the amount to 30.00 to stay within budget.",
        "If you go ahead, the overspend is covered from future days of flexible categories.",
    ]


def test_no_override_when_the_whole_day_cannot_absorb_it() -> None:
    answer = check("food", "64.01")  # overage 34.01 > 30 + 4 left elsewhere
    assert answer["warning_level"] == WarningLevel.DANGER.value
    assert answer["allow_override"] is False


def test_category_with_nothing_planned() -> None:
    answer = check("travel", "10.00")
    assert answer["daily_budget"] == D("0")
    assert str(answer["percentage_used"]) == "100.00"
    assert answer["remaining_budget"] == D("0")
    assert answer["overage"] == D("10.00")
    assert answer["warning_level"] == "danger"
    small = check("travel", "2.00")
    assert small["warning_level"] == "warning"  # 2.00 over a zero plan is still yellow


def test_unknown_category_is_refused() -> None:
    with pytest.raises(CategoryError):
        check("crypto", "1.00")
