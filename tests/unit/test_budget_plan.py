"""Unit tests of the monthly plan (50/30/20) built from onboarding answers."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.budget.engine.plan import FixedExceedsIncome, MonthlyPlan, PlanError, build_plan

WANTS = ("entertainment", "shopping", "travel", "education", "other")


def amounts(plan: MonthlyPlan) -> dict[str, str]:
    """The plan's categories as strings (exact Decimal text)."""
    return {category: str(amount) for category, amount in plan.categories.items()}


def test_issue_example_6000_income_rent_utilities_goal_400() -> None:
    plan = build_plan(
        Decimal("6000"),
        fixed_expenses={"rent": Decimal("1500"), "utilities": Decimal("200")},
        savings_goal=Decimal("400"),
    )
    assert plan.total_income == Decimal("6000.00")
    assert plan.fixed_expenses_total == Decimal("1700.00")
    # needs 3000 / wants 1800 / savings 1200; the goal (400) is below 20 %, so 20 % stays
    assert plan.savings_goal == Decimal("1200.00")
    assert plan.discretionary_total == Decimal("3100.00")
    assert plan.method == "50/30/20"
    assert amounts(plan) == {
        "housing": "1500.00",
        "utilities": "200.00",
        "savings": "1200.00",
        # flexible needs 3000 - 1700 = 1300 at 60/25/15
        "food": "780.00",
        "transportation": "325.00",
        "healthcare": "195.00",
        # wants 1800 at 35/35/10/10/10
        "entertainment": "630.00",
        "shopping": "630.00",
        "travel": "180.00",
        "education": "180.00",
        "other": "180.00",
    }
    assert sum(plan.categories.values()) == plan.total_income


def test_plain_50_30_20_with_additional_income_and_no_fixed() -> None:
    plan = build_plan(Decimal("3500"), additional_income=Decimal("500"))
    assert plan.total_income == Decimal("4000.00")
    assert plan.fixed_expenses_total == Decimal("0.00")
    assert amounts(plan) == {
        "savings": "800.00",
        "food": "1200.00",
        "transportation": "500.00",
        "healthcare": "300.00",
        "entertainment": "420.00",
        "shopping": "420.00",
        "travel": "120.00",
        "education": "120.00",
        "other": "120.00",
    }
    assert plan.discretionary_total == Decimal("3200.00")


def test_savings_goal_above_20_percent_comes_out_of_wants() -> None:
    plan = build_plan(
        Decimal("6000"),
        fixed_expenses={"rent": Decimal("1500"), "utilities": Decimal("200")},
        savings_goal=Decimal("2000"),
    )
    assert plan.savings_goal == Decimal("2000.00")
    cats = amounts(plan)
    assert (cats["food"], cats["transportation"], cats["healthcare"]) == (
        "780.00",
        "325.00",
        "195.00",
    )
    assert [cats[w] for w in WANTS] == ["350.00", "350.00", "100.00", "100.00", "100.00"]
    assert plan.discretionary_total == Decimal("2300.00")


def test_savings_goal_that_does_not_fit_is_capped_at_wants_plus_savings() -> None:
    plan = build_plan(
        Decimal("6000"), fixed_expenses={"rent": Decimal("1700")}, savings_goal=Decimal("5000")
    )
    # room = 6000 - max(3000, 1700) = 3000: flexible needs (1300) are never cut for the goal
    assert plan.savings_goal == Decimal("3000.00")
    assert [plan.categories[w] for w in WANTS] == [Decimal("0.00")] * 5
    assert plan.categories["food"] == Decimal("780.00")
    assert plan.discretionary_total == Decimal("1300.00")


def test_fixed_above_needs_takes_the_excess_from_wants_first() -> None:
    plan = build_plan(Decimal("4000"), fixed_expenses={"rent": Decimal("2500")})
    # needs 2000, excess 500 out of wants (1200 → 700); savings keeps 800
    assert plan.savings_goal == Decimal("800.00")
    cats = amounts(plan)
    assert (cats["food"], cats["transportation"], cats["healthcare"]) == ("0.00", "0.00", "0.00")
    assert [cats[w] for w in WANTS] == ["245.00", "245.00", "70.00", "70.00", "70.00"]
    assert plan.discretionary_total == Decimal("700.00")


def test_fixed_excess_beyond_wants_comes_out_of_savings() -> None:
    plan = build_plan(
        Decimal("4000"), fixed_expenses={"rent": Decimal("3000"), "phone": Decimal("500")}
    )
    # excess 1500: wants 1200 → 0, then savings 800 → 500
    assert plan.savings_goal == Decimal("500.00")
    assert plan.discretionary_total == Decimal("0.00")
    assert plan.categories["housing"] == Decimal("3000.00")
    assert plan.categories["phone"] == Decimal("500.00")
    assert sum(plan.categories.values()) == Decimal("4000.00")


def test_fixed_equal_to_income_leaves_no_savings() -> None:
    plan = build_plan(Decimal("2000"), fixed_expenses={"rent": Decimal("2000")}, savings_goal=100)
    assert plan.savings_goal == Decimal("0.00")
    assert plan.discretionary_total == Decimal("0.00")


def test_fixed_above_income_is_refused_with_a_clear_message() -> None:
    with pytest.raises(FixedExceedsIncome, match=r"Fixed expenses \(2000\.01\) exceed the monthly"):
        build_plan(Decimal("2000"), fixed_expenses={"rent": Decimal("2000.01")})
    assert issubclass(FixedExceedsIncome, PlanError)
    assert issubclass(PlanError, ValueError)


def test_additional_income_counts_before_the_fixed_check() -> None:
    plan = build_plan(1000, additional_income=500, fixed_expenses={"rent": 1200})
    assert plan.total_income == Decimal("1500.00")
    assert plan.fixed_expenses_total == Decimal("1200.00")


def test_travel_per_year_zero_moves_travel_to_shopping() -> None:
    plan = build_plan(Decimal("4000"), travel_per_year=0)
    assert plan.categories["travel"] == Decimal("0.00")
    assert plan.categories["shopping"] == Decimal("540.00")
    assert plan.categories["entertainment"] == Decimal("420.00")
    kept = build_plan(Decimal("4000"), travel_per_year=2)
    assert kept.categories["travel"] == Decimal("120.00")


def test_cents_are_split_exactly() -> None:
    plan = build_plan(Decimal("1000.01"))
    # needs 500.01 / wants 300.00 / savings 200.00; food gets the leftover cent of 500.01
    assert plan.savings_goal == Decimal("200.00")
    assert plan.categories["food"] == Decimal("300.01")
    assert plan.categories["transportation"] == Decimal("125.00")
    assert plan.categories["healthcare"] == Decimal("75.00")
    assert sum(plan.categories.values()) == Decimal("1000.01")


def test_inputs_are_rounded_half_up_to_cents() -> None:
    plan = build_plan("1000.005", fixed_expenses={"gym": "19.995"})
    assert plan.total_income == Decimal("1000.01")
    assert plan.categories["gym"] == Decimal("20.00")


def test_fixed_expenses_are_grouped_by_plan_category() -> None:
    plan = build_plan(
        Decimal("5000"),
        fixed_expenses={
            "rent": Decimal("1000"),
            "Mortgage": Decimal("500"),
            "Phone Bill": Decimal("40"),
            "food": Decimal("10"),
            "insurance": Decimal("0"),
        },
    )
    assert plan.categories["housing"] == Decimal("1500.00")
    assert plan.categories["phone_bill"] == Decimal("40.00")
    assert plan.categories["fixed_food"] == Decimal("10.00")
    assert plan.categories["insurance"] == Decimal("0.00")
    assert plan.fixed_expenses_total == Decimal("1550.00")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"monthly_income": 0}, "greater than 0"),
        ({"monthly_income": -5}, "must not be negative"),
        ({"monthly_income": "abc"}, "must be a number"),
        ({"monthly_income": 100, "additional_income": -1}, "additional_income"),
        ({"monthly_income": 100, "savings_goal": -1}, "savings_goal"),
        ({"monthly_income": 100, "fixed_expenses": {"rent": -1}}, "fixed expense 'rent'"),
        ({"monthly_income": 100, "fixed_expenses": {"": 1}}, "needs a name"),
        ({"monthly_income": 100, "travel_per_year": -1}, "travel_per_year"),
        ({"monthly_income": 100, "method": "zero-based"}, "unknown budget method"),
    ],
)
def test_invalid_answers_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(PlanError, match=message):
        build_plan(**kwargs)  # type: ignore[arg-type]


def test_plan_is_frozen_and_serializes() -> None:
    plan = build_plan(Decimal("4000"))
    with pytest.raises(AttributeError):
        plan.method = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        plan.categories["food"] = Decimal(0)  # type: ignore[index]
    payload = plan.as_payload()
    assert payload["total_income"] == Decimal("4000.00")
    assert payload["categories"] == dict(plan.categories)
    assert payload["method"] == "50/30/20"
    assert plan == build_plan(Decimal("4000"))
