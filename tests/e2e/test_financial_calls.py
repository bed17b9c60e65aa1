"""The affordability calls with the app's exact bodies (dynamic_threshold_service.dart:181,
220; api_service.dart:2662) through the gateway: thresholds and housing as raw objects (the
app reads their keys from the body), installment evaluation in the envelope."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from tests.e2e.conftest import Stack
from tests.e2e.test_installment_calls import plan, sofia_today, sofia_user


def context(**over: Any) -> dict[str, Any]:
    """UserContext.toJson with the app's defaults."""
    return {"monthly_income": 5000.0, "age": 35, "region": "US", "family_size": 1,
            "debt_to_income_ratio": 0.0, "months_of_data": 6, "current_savings_rate": 0.0,
            "housing_status": "rent", "life_stage": "single"} | over  # fmt: skip


def raw(answer: httpx.Response) -> Any:
    """A 200 raw body, numbers as Decimals."""
    assert answer.status_code == 200, answer.text
    return answer.json(parse_float=Decimal)


async def test_thresholds_follow_income_region_and_plan(roomy_stack: Stack) -> None:
    stack = roomy_stack
    headers, _ = await sofia_user(stack)
    url = "/api/financial/dynamic-thresholds"

    async def ask(kind: str, **over: Any) -> Any:
        body = {"threshold_type": kind, "user_context": context(**over)}
        return raw(await stack.client.post(url, json=body, headers=headers))

    tiered = await ask("budget_allocation")
    assert "success" not in tiered  # the app reads the keys from the body
    assert (tiered["source"], tiered["income_tier"]) == ("income_tier", "middle")
    assert (tiered["housing"], tiered["savings"]) == (Decimal("0.30"), Decimal("0.12"))
    assert (await ask("budget_allocation", region="US-NY"))["housing"] == Decimal("0.3600")
    spending = await ask("spending_pattern", monthly_income=2000.0)
    assert spending["small_purchase_threshold"] == Decimal("10.00")  # 0.5 % of 2000
    assert spending["large_purchase_threshold"] == Decimal("200.00")
    savings = await ask("savings_target", family_size=3, debt_to_income_ratio=0.5)
    assert savings["target_savings_rate"] == Decimal("0.09")  # 12 % − 3 for the debt
    assert savings["emergency_fund_months"] == 4
    goal = await ask("goal_constraint", age=25)
    assert goal["maximum_goal_timeline_years"] == 7
    assert goal["maximum_monthly_contribution"] == Decimal("1250.00")
    scoring = await ask("health_scoring")
    assert scoring["grade_boundaries"]["A+"] == 90
    assert sum(scoring["component_expectations"].values()) == 1
    onboarding = {"income": {"monthly_income": 6000}, "fixed_expenses": {"rent": 1500}}
    done = await stack.client.post("/api/onboarding/submit", json=onboarding, headers=headers)
    assert done.status_code == 200, done.text
    own = await ask("budget_allocation")
    assert own["source"] == "plan"
    assert own["housing"] == Decimal("0.2500")  # 1500 of the plan's 6000
    assert own["savings"] == Decimal("0.2000")
    bad = await stack.client.post(url, json={"threshold_type": "vibes"}, headers=headers)
    assert bad.status_code == 422
    assert (
        await stack.client.post(url, json={"threshold_type": "spending_pattern"})
    ).status_code == 401


async def test_housing_affordability_weighs_the_plans_rent(roomy_stack: Stack) -> None:
    stack = roomy_stack
    headers, _ = await sofia_user(stack)
    url = "/api/financial/housing-affordability"
    before = raw(await stack.client.post(url, json={"user_context": context()}, headers=headers))
    assert (before["recommended_housing_ratio"], before["maximum_housing_ratio"]) == (
        Decimal("0.3000"), Decimal("0.3750"))  # fmt: skip
    assert before["comfortable_housing_ratio"] == Decimal("0.2550")
    assert before["recommended_monthly_housing"] == Decimal("1500.00")
    assert before["current_housing_ratio"] is None
    onboarding = {"income": {"monthly_income": 5000}, "fixed_expenses": {"rent": 1700}}
    done = await stack.client.post("/api/onboarding/submit", json=onboarding, headers=headers)
    assert done.status_code == 200, done.text
    after = raw(await stack.client.post(url, json={"user_context": context()}, headers=headers))
    assert after["current_housing"] == Decimal("1700.00")
    assert after["current_housing_ratio"] == Decimal("0.3400")
    assert "above the recommended" in after["assessment"]


async def test_installments_are_weighed_against_income(roomy_stack: Stack) -> None:
    stack = roomy_stack
    headers, _ = await sofia_user(stack)  # income 3000
    url = "/api/financial/installment-evaluate"
    empty = await stack.client.get(url, headers=headers)
    assert empty.status_code == 200, empty.text
    assert empty.json()["data"] == []
    today = sofia_today()
    for over in ({}, {"item_name": "Food", "category": "groceries", "payment_amount": 20.0,
                      "total_amount": 240.0}):  # fmt: skip
        made = await stack.client.post("/api/installments", json=plan(today, **over),
                                       headers=headers)  # fmt: skip
        assert made.status_code == 201, made.text
    found = (await stack.client.get(url, headers=headers)).json(parse_float=Decimal)["data"]
    levels = {e["item_name"]: (e["risk_level"], e["share_of_income"]) for e in found}
    assert levels == {"Laptop": ("green", Decimal("0.0300")), "Food": ("red", Decimal("0.0067"))}
