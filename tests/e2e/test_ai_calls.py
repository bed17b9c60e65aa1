"""The AI screens' calls (insights_screen.dart, predictive_analytics_widget.dart,
spending_pattern_analyzer.dart, ai_assistant_screen.dart) answered offline from the caller's
own figures, through the gateway."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from tests.e2e.conftest import Stack
from tests.e2e.owasp_support import assert_error
from tests.e2e.test_app_calls import data
from tests.e2e.test_insights import SOFIA, insights_stack, settled, this_month, user_with_spending
from tests.helpers import wait_until

__all__ = ["insights_stack"]
JSON = dict[str, Any]


async def get(stack: Stack, path: str, headers: dict[str, str], **params: Any) -> Any:
    """GET an /api/ai route's data."""
    return data(await stack.client.get(f"/api/ai/{path}", params=params, headers=headers))


async def ask(stack: Stack, headers: dict[str, str], question: str) -> str:
    """askAIAssistant: {question, context}."""
    body = {"question": question, "context": None}
    answer: str = data(await stack.client.post("/api/ai/assistant", json=body, headers=headers))[
        "answer"
    ]
    return answer


async def test_reports_patterns_and_feedback_carry_the_figures(insights_stack: Stack) -> None:
    stack = insights_stack
    headers, _ = await user_with_spending(stack)
    await settled(stack, headers, "200.75")
    first, _ = this_month()
    patterns = await get(stack, "spending-patterns", headers, year=first.year, month=first.month)
    assert any("155.25" in p and "Groceries" in p for p in patterns["patterns"])
    assert any("Kaufland 2 times" in p for p in patterns["patterns"])
    report = await get(stack, "monthly-report", headers)
    assert "200.75" in report["summary"]
    assert "25% more" in report["summary"]  # 200.75 against 160.00
    assert report["previous_total"] == Decimal("160.00")
    feedback = await get(stack, "personalized-feedback", headers)
    assert "155.25" in feedback["feedback"]
    savings = await get(stack, "savings-optimization", headers)
    assert savings["potential_savings"] == Decimal("9.10")  # a fifth of 45.50 dining
    assert "45.50" in savings["suggestions"][0]
    weekly = await get(stack, "weekly-insights", headers)
    assert isinstance(weekly["insights"], str)
    assert weekly["trend"] in ("up", "down", "stable", "new", "none")


async def test_prediction_and_assistant_answer_with_exact_figures(insights_stack: Stack) -> None:
    stack = insights_stack
    headers, _ = await user_with_spending(stack)
    await settled(stack, headers, "200.75")
    forecast = await get(stack, "spending-prediction", headers, days_ahead=30)
    # 360.75 spent in the last 90 days → 4.0083 a day → 120.25 over 30 days.
    assert forecast["predicted_amount"] == Decimal("120.25")
    assert forecast["lower_bound"] <= forecast["predicted_amount"] <= forecast["upper_bound"]
    assert set(forecast["predictions"]) == {"dining", "groceries"}
    assert 0 < forecast["confidence"] <= 1
    assert "155.25" in await ask(stack, headers, "How much did I spend on groceries this month?")
    assert "100.00" in await ask(stack, headers, "And on groceries last month?")
    assert "200.75" in await ask(stack, headers, "What did I spend this month?")
    assert "Kaufland" in await ask(stack, headers, "Where do I shop the most?")
    assert "120.25" in await ask(stack, headers, "What is my forecast?")
    empty = {"question": "", "context": None}
    assert_error(await stack.client.post("/api/ai/assistant", json=empty, headers=headers), 422)


async def test_anomalies_stand_out_against_the_users_history(insights_stack: Stack) -> None:
    stack = insights_stack
    account = await stack.register(timezone="Europe/Sofia")
    headers = stack.bearer(account["access_token"])
    today = dt.datetime.now(SOFIA)
    amounts = ["20.00", "22.00", "19.50", "21.00", "250.00"]
    for days, amount in zip((40, 30, 20, 10, 0), amounts, strict=True):
        at = (today - dt.timedelta(days=days)).astimezone(dt.UTC)
        body = {"amount": float(amount), "category": "groceries", "merchant": "Billa",
                "spent_at": at.isoformat()}  # fmt: skip
        data(await stack.client.post("/api/transactions/", json=body, headers=headers), 201)

    anomalies: list[JSON] = []

    async def found() -> bool:
        anomalies[:] = await get(stack, "spending-anomalies", headers)
        return bool(anomalies)

    await wait_until(found, 30, "the anomaly")
    (anomaly,) = anomalies
    assert anomaly["amount"] == Decimal("250.00")
    assert anomaly["expected_amount"] == Decimal("21.00")
    assert anomaly["merchant"] == "Billa"
    assert "250.00" in anomaly["description"]
    assert "11.9x" in anomaly["description"]
    assert anomaly["date"] == today.date().isoformat()
    assert isinstance(anomaly["possible_causes"], list)


async def test_seasonal_and_behavioral_raw_bodies(insights_stack: Stack) -> None:
    """api_service.dart:3906, 3929 read the raw body (200 exactly): the payload is in ``data``
    and at the top level; ``monthly_patterns`` is an object keyed "1".."12"."""
    stack = insights_stack
    headers, known = await user_with_spending(stack)
    await settled(stack, headers, "200.75")
    answer = await stack.client.get("/api/analytics/seasonal-patterns", headers=headers)
    assert answer.status_code == 200
    raw = answer.json()
    assert raw["data"]["monthly_patterns"] == raw["monthly_patterns"]
    patterns = raw["monthly_patterns"]
    assert set(patterns) == {str(m) for m in range(1, 13)}
    this, before = known["first"].month, known["previous"].month
    # Two months seen: 200.75 and 160.00 around their mean of 180.375.
    assert (patterns[str(this)], patterns[str(before)]) == (1.11, 0.89)
    assert raw["groceries"]["impact_score"] == raw["data"]["groceries"]["impact_score"]
    assert set(raw["holiday_impact"]) >= {"christmas", "summer_holidays"}
    answer = await stack.client.get("/api/analytics/behavioral-insights", headers=headers)
    assert answer.status_code == 200
    raw = answer.json()
    kinds = {i["type"] for i in raw["insights"]}
    assert "category_concentration" in kinds  # groceries: 77% of the month
    assert "spending_increase" in kinds  # 200.75 against 160.00
    insight = next(i for i in raw["insights"] if i["type"] == "category_concentration")
    assert "155.25" in insight["message"]
    assert isinstance(insight["confidence"], float)
    assert raw["data"]["recommendations"] == raw["recommendations"]


async def test_behavior_cluster_after_a_refit(insights_stack: Stack) -> None:
    """Users of different habits; ``mita insights refit``'s use case fits the model; each user
    gets a cluster with a peer comparison and its recommendations."""
    from services.insights.refit import refit

    stack = insights_stack
    before = data(await stack.client.get("/api/behavior/cluster", headers=await fresh(stack)))
    assert before["cluster"] is None
    kinds = {  # income, then (category, amount) purchases this month
        "high": (15000, [("rent", "3000"), ("dining", "400"), ("travel", "900")]),
        "broke": (1200, [("rent", "900"), ("groceries", "300"), ("dining", "250")]),
        "saver": (4000, [("rent", "800"), ("groceries", "200")]),
        "spender": (4000, [("shopping", "1500"), ("dining", "900"), ("entertainment", "900")]),
        "middle": (4000, [("rent", "1200"), ("groceries", "500"), ("dining", "300")]),
    }
    users: dict[str, dict[str, str]] = {}
    for name, (income, spends) in kinds.items():
        headers = await fresh(stack)
        data(await stack.client.patch("/api/users/me", json={"income": income}, headers=headers))
        for category, amount in spends:
            body = {"amount": float(amount), "category": category}
            data(await stack.client.post("/api/transactions/", json=body, headers=headers), 201)
        users[name] = headers
    last = users["middle"]

    async def counted() -> bool:
        month = data(await stack.client.get("/api/analytics/monthly", headers=last))
        return bool(month["total_spent"] == Decimal("2000.00"))

    await wait_until(counted, 30, "the spending projection")
    model, position = await refit(stack.auth_settings)
    assert position > 0
    assert sum(model.sizes.values()) == model.users >= 5

    async def assigned() -> bool:
        found = data(await stack.client.get("/api/behavior/cluster", headers=users["spender"]))
        return found["cluster"] is not None

    await wait_until(assigned, 30, "the cluster model")
    mine = data(await stack.client.get("/api/behavior/cluster", headers=users["high"]))
    assert mine["cluster"] == "high_income"
    assert mine["peer_comparison"]["income"]["you"] == 15000.0
    assert mine["recommendations"]
    assert mine["model_version"] == model.version
    # behavioral_insights_screen.dart shows cluster_name, description and characteristics.
    assert mine["cluster_name"] == "High Income"
    assert mine["description"]
    assert any("15,000" in c for c in mine["characteristics"])
    spender = data(
        await stack.client.get("/api/behavior/recommendations", headers=users["spender"])
    )
    assert spender["cluster"] == "spenders"
    assert "Try the no-spend weekend challenge" in spender["recommendations"]
    again, _ = await refit(stack.auth_settings)
    assert again.version == model.version  # same data, same model


async def fresh(stack: Stack) -> dict[str, str]:
    """A new user's bearer header."""
    return stack.bearer((await stack.register())["access_token"])
