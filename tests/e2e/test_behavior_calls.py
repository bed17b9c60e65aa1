"""The behaviour screens' calls (behavioral_provider.dart, behavioral_insights_screen.dart,
user_settings_screen.dart, spending_pattern_analyzer.dart) with the app's exact payloads,
answered from the caller's own transactions through the gateway."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tests.e2e.conftest import Stack
from tests.e2e.owasp_support import assert_error
from tests.e2e.test_app_calls import at, data, local_today, onboarded_user
from tests.e2e.test_insights import insights_stack, settled, this_month, user_with_spending
from tests.helpers import wait_until

__all__ = ["insights_stack"]
JSON = dict[str, Any]


async def get(stack: Stack, path: str, headers: dict[str, str], **params: Any) -> Any:
    """GET an /api/behavior route's data."""
    return data(await stack.client.get(f"/api/behavior/{path}", params=params, headers=headers))


async def test_month_reads_carry_the_callers_figures(insights_stack: Stack) -> None:
    stack = insights_stack
    headers, known = await user_with_spending(stack)
    await settled(stack, headers, "200.75")
    first: dt.date = known["first"]
    month = {"year": first.year, "month": first.month}
    period = f"{first.year}-{first.month:02d}"

    patterns = await get(stack, "patterns", headers, **month)
    assert patterns["period"] == period
    assert list(patterns["patterns"]) == ["groceries", "dining"]
    groceries = patterns["patterns"]["groceries"]
    assert groceries["total"] == Decimal("155.25")  # 120.00 + 30.25 amended to 35.25
    assert groceries["average_amount"] == Decimal("77.63")
    assert groceries["frequency"] == 2
    assert groceries["trend"] == "increasing"  # against 100.00 over 12 months
    assert groceries["merchant_concentration"] == 1.0  # both at Kaufland

    analysis = await get(stack, "analysis", headers, **month)
    assert analysis["total_spent"] == Decimal("200.75")
    assert analysis["transactions"] == 3
    assert analysis["top_categories"][0] == {"category": "groceries", "amount": Decimal("155.25")}

    triggers = await get(stack, "triggers", headers, **month)
    assert triggers["transactions_analyzed"] == 3
    assert all(isinstance(t["trigger_name"], str) for t in triggers["triggers"])

    warnings = await get(stack, "warnings", headers, **month)
    assert warnings["period"] == period
    # 160.00 over the 90 days before the month: the usual day is 160 / 90 ≈ 1.78.
    assert Decimal("1.5") < warnings["daily_average"] < Decimal("2.0")
    over = [w for w in warnings["warnings"] if w["type"] == "overspent_day"]
    assert [w["amount"] for w in over] == [Decimal("200.75")]

    category = await get(stack, "category/groceries", headers, **month)
    assert category["total_spent"] == Decimal("155.25")
    assert category["top_merchants"][0]["merchant"] == "Kaufland"
    assert 0 <= category["goal_alignment"]["alignment_score"] <= 1
    assert "155.25" in category["goal_alignment"]["message"]
    nothing = await get(stack, "category/travel", headers, **month)
    assert nothing["frequency"] == 0

    # getBehavioralAnomalies (?year&month) reads a map; getBehaviorAnomalies (?days) a list.
    summary = await get(stack, "anomalies", headers, **month)
    assert summary["count"] == len(summary["anomalies"])
    listed = await get(stack, "anomalies", headers, days=30)
    assert isinstance(listed, list)


async def test_forecast_progress_recommendations_and_calendar(insights_stack: Stack) -> None:
    stack = insights_stack
    headers, known = await user_with_spending(stack)
    await settled(stack, headers, "200.75")
    predictions = await get(stack, "predictions", headers)
    # 360.75 spent in the last 90 days → 120.25 over 30 days (as the AI forecast).
    assert predictions["next_month_spending"] == Decimal("120.25")
    assert predictions["savings_potential"] == Decimal("9.10")  # a fifth of 45.50 dining
    assert predictions["recommended_budget"] == Decimal("111.15")
    assert 0 < predictions["confidence"] <= 1
    assert all(r["impact"] in ("high", "medium", "low") for r in predictions["risk_factors"])

    progress = await get(stack, "progress", headers, months=6)
    assert progress["months_tracked"] == 6
    assert [m["total_spent"] for m in progress["monthly_breakdown"][-2:]] == [
        Decimal("160.00"),
        Decimal("200.75"),
    ]
    assert 0 <= progress["overall_score"] <= 100
    assert "200.75" in progress["progress_message"]
    assert {m["trend"] for m in progress["metrics"]} <= {"up", "down", "stable"}

    recommendations = await get(stack, "recommendations", headers)
    assert any("155.25" in r for r in recommendations["recommendations"])

    first: dt.date = known["first"]
    # getBehaviorCalendar's body; the client's logs are not taken (the server has the history).
    body = {"year": first.year, "month": first.month, "profile": {}, "mood_log": {},
            "challenge_log": {}, "calendar_log": {"spent": 99999}}  # fmt: skip
    answer = await stack.client.post("/api/behavior/calendar", json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    raw = answer.json(parse_float=Decimal)
    assert raw["days"] == raw["data"]["days"]  # generateBehavioralCalendar reads the raw body
    assert raw["days"][0]["date"] == first.isoformat()
    assert raw["days"][0]["spent"] == Decimal("200.75")
    assert sum(d["spent"] for d in raw["days"]) == Decimal("200.75")
    bad = {**body, "month": 13}
    assert_error(await stack.client.post("/api/behavior/calendar", json=bad, headers=headers), 422)


async def test_expense_suggestions_with_the_apps_body(insights_stack: Stack) -> None:
    stack = insights_stack
    headers, _ = await user_with_spending(stack)
    await settled(stack, headers, "200.75")
    today = dt.date.today().isoformat()
    body = {"category": "groceries", "amount": 400.0, "description": None, "date": today}
    path = "/api/behavior/expense_suggestions"
    found = data(await stack.client.post(path, json=body, headers=headers))
    assert found["category_average"] == Decimal("100.00")  # median of 100.00, 120.00, 35.25
    assert found["is_unusual"] is True
    guessed = {"category": None, "amount": None, "description": "Lidl weekly shop", "date": today}
    found = data(await stack.client.post(path, json=guessed, headers=headers))
    assert found["suggested_category"] == "groceries"
    assert_error(
        await stack.client.post(path, json={**body, "amount": "lots"}, headers=headers), 422
    )


async def test_settings_default_change_and_stay_the_callers_own(insights_stack: Stack) -> None:
    stack = insights_stack
    a = stack.bearer((await stack.register())["access_token"])
    b = stack.bearer((await stack.register())["access_token"])
    defaults = await get(stack, "notification_settings", a)
    assert {k: defaults[k] for k in ("pattern_alerts", "anomaly_detection")} == {
        "pattern_alerts": True,
        "anomaly_detection": True,
    }
    # updateBehavioralNotificationSettings sends every key, null for the ones not set.
    body = {"pattern_alerts": False, "anomaly_detection": None, "budget_adaptation": True,
            "weekly_insights": False}  # fmt: skip
    path = "/api/behavior/notification_settings"
    changed = data(await stack.client.patch(path, json=body, headers=a))
    assert changed["pattern_alerts"] is False
    assert changed["weekly_insights"] is False
    assert changed["anomaly_detection"] is True
    now = await get(stack, "notification_settings", a)
    assert (now["pattern_alerts"], now["weekly_insights"]) == (False, False)
    assert now["updated_at"] is not None
    assert (await get(stack, "notification_settings", b))["pattern_alerts"] is True
    prefs = "/api/behavior/preferences"
    changed = data(
        await stack.client.patch(prefs, json={"peer_comparison": True, "x": 1}, headers=a)
    )
    assert changed["peer_comparison"] is True
    assert (await get(stack, "preferences", a))["peer_comparison"] is True
    assert (await get(stack, "preferences", b))["peer_comparison"] is False
    again = data(await stack.client.patch(prefs, json={"peer_comparison": True}, headers=a))
    assert again["peer_comparison"] is True  # no change, no event, same answer
    bad = {"pattern_alerts": "maybe"}
    assert_error(await stack.client.patch(path, json=bad, headers=a), 422)
    assert (await get(stack, "notification_settings", a))["pattern_alerts"] is False


async def test_another_user_sees_none_of_the_figures(insights_stack: Stack) -> None:
    stack = insights_stack
    headers, known = await user_with_spending(stack)
    await settled(stack, headers, "200.75")
    other = stack.bearer((await stack.register())["access_token"])
    first: dt.date = known["first"]
    month = {"year": first.year, "month": first.month}
    for path in ("analysis", "patterns", "triggers", "warnings", "category/groceries"):
        answer = await stack.client.get(f"/api/behavior/{path}", params=month, headers=other)
        assert answer.status_code == 200, answer.text
        for leak in ("155.25", "200.75", "Kaufland", "Happy Bar"):
            assert leak not in answer.text, (path, leak)
    for path in ("predictions", "progress", "recommendations"):
        answer = await stack.client.get(f"/api/behavior/{path}", headers=other)
        assert answer.status_code == 200, answer.text
        assert "200.75" not in answer.text, path
    assert this_month()[0] == first


async def test_financial_health_score_from_the_budget_days(insights_stack: Stack) -> None:
    """budget-engine.md: 25 % green days, 30 % efficiency, 25 % saving, 20 % consistency."""
    stack = insights_stack
    zone = "Europe/Sofia"
    headers = await onboarded_user(stack, zone)
    today = local_today(zone)
    scored_days = max(1, today.day - 1)  # the past days (today on the 1st)
    quiet = data(await stack.client.get("/api/ai/financial-health-score", headers=headers))
    # Nothing spent: every day green, no overspend, savings on plan, nothing tracked.
    assert quiet["components"] == {"budgeting": Decimal("100.00"),
                                   "spending_efficiency": Decimal("100.00"),
                                   "saving_potential": Decimal("100.00"),
                                   "consistency": Decimal("0.00")}  # fmt: skip
    assert (quiet["score"], quiet["grade"], quiet["risk_level"]) == (80, "B+", "low")
    assert quiet["trend"] == "stable"  # last month (laid out from the same answers) scored 80
    assert quiet["improvements"] == ["Record your spending every day to keep the budget accurate."]
    # 20,000 on the 1st: that day red and tracked, far over plan and income.
    body = {
        "amount": 20000.0,
        "category": "shopping",
        "spent_at": at(zone, today.replace(day=1), 0, 5),
    }
    data(await stack.client.post("/api/transactions/", json=body, headers=headers), 201)
    # The score rounds half up, as the engine does (on the 3rd: 22.5 → 23, not Python's 22).
    exact = Decimal(25) * (scored_days - 1) / scored_days + Decimal(20) / scored_days
    expected = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    found: list[JSON] = []

    async def rescored() -> bool:
        found[:] = [data(await stack.client.get("/api/analytics/health-score", headers=headers))]
        return bool(found[0]["score"] != 80)

    await wait_until(rescored, 30, "the budget's spent figures")
    score = found[0]
    assert score["components"]["spending_efficiency"] == Decimal("0.00")
    assert score["components"]["saving_potential"] == Decimal("0.00")
    assert score["score"] == expected
    assert score["trend"] == "declining"
    assert score["risk_score"] == 100 - expected
    other = await onboarded_user(stack, zone)
    assert (
        data(await stack.client.get("/api/ai/financial-health-score", headers=other))["score"] == 80
    )


async def test_ai_profile_as_both_callers_read_it(insights_stack: Stack) -> None:
    """getAIFinancialProfile sends ?year&month; getBehaviorInsights sends nothing and maps
    key_strengths to strengths."""
    stack = insights_stack
    headers, known = await user_with_spending(stack)
    await settled(stack, headers, "200.75")
    first: dt.date = known["first"]
    path = "/api/ai/profile"
    month = {"year": first.year, "month": first.month}
    asked = data(await stack.client.get(path, params=month, headers=headers))
    plain = data(await stack.client.get(path, headers=headers))
    assert asked == plain
    assert asked["spending_personality"] in ("planner", "balanced spender", "weekend spender")
    assert any("2,799.25" in s for s in asked["key_strengths"])  # 3000 income − 200.75
    assert asked["strengths"] == asked["key_strengths"]
    assert all(isinstance(t, str) for t in asked["key_traits"])
    other = stack.bearer((await stack.register())["access_token"])
    theirs = data(await stack.client.get(path, headers=other))
    assert "200.75" not in str(theirs)
    assert theirs["key_strengths"] == []


async def test_budget_optimization_moves_surplus_to_the_overspent_category(
    insights_stack: Stack,
) -> None:
    stack = insights_stack
    zone = "Europe/Sofia"
    headers = await onboarded_user(stack, zone)
    today = local_today(zone)
    body = {"amount": 500.0, "category": "food", "spent_at": at(zone, today.replace(day=1), 0, 5)}
    data(await stack.client.post("/api/transactions/", json=body, headers=headers), 201)
    path = "/api/ai/budget-optimization"
    found = data(await stack.client.get(path, headers=headers))
    food = found["categories"]["food"]
    assert food["spent"] == Decimal("500.00")
    assert food["balance"] == food["planned"] - food["projected"] < 0
    assert found["moves"], found
    first = found["moves"][0]
    assert first["to_category"] == "food"
    assert first["from_category"] in ("entertainment", "travel")  # discretionary gives first
    donor = found["categories"][first["from_category"]]
    assert first["amount"] <= donor["balance"] / 2
    assert found["total_movable"] == sum(m["amount"] for m in found["moves"])
    assert "food" in found["suggestions"][0]
    assert found["overall_score"] < 100
    other = await onboarded_user(stack, zone)
    theirs = data(await stack.client.get(path, headers=other))
    assert theirs["categories"]["food"]["spent"] == Decimal("0.00")
    assert theirs["moves"] == []


async def test_day_status_explanation_with_the_apps_body(insights_stack: Stack) -> None:
    stack = insights_stack
    zone = "Europe/Sofia"
    headers = await onboarded_user(stack, zone)
    first = local_today(zone).replace(day=1)
    # Far more than redistribution can cover from the rest of the month: the day stays red.
    body = {"amount": 20000.0, "category": "shopping", "spent_at": at(zone, first, 10, 0)}
    data(await stack.client.post("/api/transactions/", json=body, headers=headers), 201)
    path = "/api/ai/day-status-explanation"
    # getAIDayStatusExplanation: {status, recommendations, date: 'YYYY-MM-DD'}.
    asked = {"status": "green", "recommendations": ["ignored"], "date": first.isoformat()}
    found = data(await stack.client.post(path, json=asked, headers=headers))
    assert found["status"] == "red"
    assert found["spent"] == Decimal("20000.00")
    assert "20000.00" in found["explanation"]
    assert "The app showed green; the budget now says red." in found["explanation"]
    # A datetime names the user's local day too.
    later = {"status": "red", "date": f"{first.isoformat()}T23:30:00"}
    assert data(await stack.client.post(path, json=later, headers=headers))["spent"] == Decimal(
        "20000.00"
    )
    other = await onboarded_user(stack, zone)
    theirs = data(await stack.client.post(path, json=asked, headers=other))
    assert theirs["spent"] == Decimal("0.00")
    bad = {"status": "green", "date": "not a day"}
    assert_error(await stack.client.post(path, json=bad, headers=headers), 422)


async def test_snapshots_as_the_insights_screen_takes_and_reads_them(insights_stack: Stack) -> None:
    """_createAndFetchAISnapshot: POST /ai/snapshot?year&month (no body), then the first of
    GET /ai/latest-snapshots."""
    stack = insights_stack
    headers, known = await user_with_spending(stack)
    await settled(stack, headers, "200.75")
    first: dt.date = known["first"]
    month = {"year": first.year, "month": first.month}
    taken = await stack.client.post("/api/ai/snapshot", params=month, headers=headers)
    snap = data(taken)
    # 2799.25 of 3000 kept → saving 1.0; 200.75 against the usual 160.00 → control 0.797.
    assert snap["components"]["saving"] == 1.0
    assert snap["components"]["control"] == Decimal("0.797")
    assert "200.75" in snap["summary"]
    assert "2,799.25" in snap["summary"]
    assert snap["rating"] in ("A+", "A", "B+", "B", "C+", "C", "D+", "D", "F")
    latest = data(await stack.client.get("/api/ai/latest-snapshots", headers=headers))
    assert latest[0]["rating"] == snap["rating"]
    assert latest[0]["summary"] == snap["summary"]
    assert latest[0]["created_at"] == snap["created_at"]
    again = data(await stack.client.post("/api/ai/snapshot", params=month, headers=headers))
    assert again["created_at"] == snap["created_at"]  # nothing changed: nothing new stored
    other = stack.bearer((await stack.register())["access_token"])
    assert data(await stack.client.get("/api/ai/latest-snapshots", headers=other)) == []
    bad = {"year": first.year, "month": 13}
    assert_error(await stack.client.post("/api/ai/snapshot", params=bad, headers=headers), 422)
