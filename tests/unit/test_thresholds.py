"""Dynamic thresholds and housing affordability rules (docs/financial.md), by table."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from services.budget.engine.thresholds import (
    housing,
    region_factor,
    savings_target,
    thresholds,
    tier,
)

D = Decimal
CONTEXT: dict[str, Any] = {"age": 35, "region": "US", "family_size": 1,
                           "debt_to_income_ratio": D(0), "months_of_data": 6,
                           "life_stage": "single"}  # fmt: skip


@pytest.mark.parametrize(("income", "band"), [(0, "low"), (2999, "low"), (3000, "middle"),
                                              (7999, "middle"), (8000, "high")])  # fmt: skip
def test_tiers(income: int, band: str) -> None:
    assert tier(D(income)) == band


@pytest.mark.parametrize(("region", "factor"), [("US", "1.00"), ("us-ca", "1.15"),
                                                ("US-TX", "1.00"), ("BG", "0.80"),
                                                ("xx", "1.00"), ("GB_LND", "1.05")])  # fmt: skip
def test_region_factors(region: str, factor: str) -> None:
    assert region_factor(region) == D(factor)


def test_allocation_from_the_tier_or_the_plan() -> None:
    low = thresholds("budget_allocation", CONTEXT | {"region": "CH"}, D(2000), None)
    assert (low["source"], low["housing"], low["savings"]) == ("income_tier", D("0.50"), D("0.05"))
    plan = {"housing": D("1500"), "food": D("900"), "savings": D("1200"), "other": D("2400")}
    own = thresholds("budget_allocation", CONTEXT, D(9999), plan)
    assert own["source"] == "plan"
    assert (own["housing"], own["food"], own["transport"]) == (D("0.25"), D("0.15"), D(0))


@pytest.mark.parametrize(
    ("over", "target", "months"),
    [({}, "0.12", 3), ({"family_size": 2}, "0.12", 4), ({"age": 60}, "0.12", 6),
     ({"life_stage": "Retired"}, "0.12", 6), ({"debt_to_income_ratio": D("0.4")}, "0.09", 3)],
)  # fmt: skip
def test_savings_targets(over: dict[str, Any], target: str, months: int) -> None:
    found = savings_target(D(5000), CONTEXT | over)
    assert found["target_savings_rate"] == D(target)
    assert found["minimum_savings_rate"] == D(target) / 2
    assert found["emergency_fund_months"] == months
    assert savings_target(D(1000), CONTEXT | {"debt_to_income_ratio": D(1)})[
        "target_savings_rate"
    ] == D("0.03")


def test_spending_and_goal_thresholds() -> None:
    tiny = thresholds("spending_pattern", CONTEXT | {"months_of_data": 1}, D(100), None)
    assert tiny["small_purchase_threshold"] == D("5.00")  # at least 5
    assert tiny["monthly_variance_threshold"] == D("0.4")
    rich = thresholds("spending_pattern", CONTEXT | {"region": "US-NY"}, D(50000), None)
    assert rich["small_purchase_threshold"] == D("120.00")  # at most 100, then the region
    old = thresholds("goal_constraint", CONTEXT | {"age": 70}, D(100), None)
    assert old["maximum_goal_timeline_years"] == 3
    assert old["minimum_monthly_contribution"] == D("10.00")
    assert thresholds("behavioral_trigger", CONTEXT, D(1), None)["source"] == "income_tier"


@pytest.mark.parametrize(
    ("current", "words"),
    [(None, "Onboard"), ("1200", "comfortably"), ("1400", "within the recommended"),
     ("1800", "above the recommended"), ("2000", "above the maximum")],
)  # fmt: skip
def test_housing(current: str | None, words: str) -> None:
    found = housing(CONTEXT, D(5000), None if current is None else D(current))
    assert (found["recommended_housing_ratio"], found["maximum_housing_ratio"],
            found["comfortable_housing_ratio"]) == (D("0.30"), D("0.375"), D("0.255"))  # fmt: skip
    assert found["maximum_monthly_housing"] == D("1875.00")
    assert words in found["assessment"]
    capped = housing(CONTEXT | {"region": "CH"}, D(1000), None)
    assert capped["recommended_housing_ratio"] == D("0.50")
    assert capped["maximum_housing_ratio"] == D("0.60")
