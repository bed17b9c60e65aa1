"""The installment planner's calculator call (installment_service.dart:146) with the app's exact
body through the gateway: a raw body (no envelope), money as numbers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tests.conftest import Infra
from tests.e2e.conftest import open_stack

# InstallmentCalculatorInput.toJson (installment_models.dart:432); current_balance left out.
BODY = {
    "purchase_amount": 1200.0, "category": "electronics", "num_payments": 12,
    "interest_rate": 24.0, "monthly_income": 3000.0, "age_group": "25-34",
    "active_installments_count": 1, "active_installments_monthly": 100.0,
    "credit_card_debt": 0.0, "other_monthly_obligations": 200.0, "planning_mortgage": False,
}  # fmt: skip


async def test_the_calculator_answers_the_raw_body_the_app_reads(infra: Infra) -> None:
    async with open_stack(infra) as stack:
        headers = stack.bearer((await stack.register(timezone="UTC"))["access_token"])
        for path in ("/api/installments/calculator", "/api/installments/calculator/"):
            answer = await stack.client.post(path, json=BODY, headers=headers)
            assert answer.status_code == 200, answer.text
        raw = answer.json(parse_float=Decimal)
        assert "success" not in raw  # installments answer raw bodies
        assert (raw["monthly_payment"], raw["total_cost"]) == (
            Decimal("113.47"),
            Decimal("1361.67"),
        )
        assert raw["risk_level"] == "yellow"
        assert isinstance(raw["risk_score"], Decimal)  # a JSON number (the app casts as num)
        assert raw["balance_after_first_payment"] is None  # no balance sent
        schedule = raw["payment_schedule"]
        assert [r["payment_number"] for r in schedule] == list(range(1, 13))
        first = dt.date.fromisoformat(schedule[0]["date"])
        assert first > dt.datetime.now(dt.UTC).date()
        assert sum(r["amount"] for r in schedule) == raw["total_cost"]
        assert isinstance(raw["statistics"], list)
        assert {f["factor"] for f in raw["risk_factors"]} >= {"payment_to_income", "interest_rate"}
        bad = await stack.client.post(
            "/api/installments/calculator", json={**BODY, "num_payments": 0}, headers=headers
        )
        assert bad.status_code == 422
        assert isinstance(bad.json()["detail"], str)  # installment_service.dart:44 casts it
        anonymous = await stack.client.post("/api/installments/calculator", json=BODY)
        assert anonymous.status_code == 401
