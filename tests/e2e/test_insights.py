"""Insights the app's way (mood_provider.dart, analytics_service.dart, advice_provider.dart,
add_expense_screen.dart), through the gateway, against hand-computed figures."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest_asyncio

from tests.conftest import Infra
from tests.e2e.conftest import Stack, open_stack
from tests.e2e.owasp_support import assert_error
from tests.e2e.test_app_calls import data
from tests.helpers import wait_until

JSON = dict[str, Any]
SOFIA = zoneinfo.ZoneInfo("Europe/Sofia")


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def insights_stack(infra: Infra) -> AsyncIterator[Stack]:
    """One stack with the insights service for the module."""
    async with open_stack(
        infra,
        {"read_your_writes_timeout": 10.0},
        insights=True,
        rate_limit_per_minute=10_000,
        auth_rate_limit_per_minute=10_000,
    ) as stack:
        yield stack


def this_month() -> tuple[dt.date, dt.date]:
    """The first day of this Sofia month and of the month before."""
    today = dt.datetime.now(SOFIA).date()
    first = today.replace(day=1)
    return first, (first - dt.timedelta(days=1)).replace(day=1)


async def user_with_spending(stack: Stack) -> tuple[dict[str, str], JSON]:
    """A Sofia user with income 3000 and known spending this month and the last."""
    account = await stack.register(timezone="Europe/Sofia")
    headers = stack.bearer(account["access_token"])
    data(await stack.client.patch("/api/users/me", json={"income": 3000}, headers=headers))
    first, previous = this_month()
    # 1 Jan 00:30 in Sofia is still 31 Dec in UTC: it counts in this (local) month.
    local = [
        (first, dt.time(0, 30), "45.50", "dining", "Happy Bar"),
        (first, dt.time(12, 0), "120.00", "groceries", "Kaufland"),
        (first, dt.time(18, 0), "30.25", "groceries", "Kaufland"),
        (first, dt.time(19, 0), "9.99", "subscriptions", "Netflix"),
        (previous, dt.time(12, 0), "60.00", "dining", "Happy Bar"),
        (previous, dt.time(13, 0), "100.00", "groceries", "Lidl"),
    ]
    ids = []
    for day, clock, amount, category, merchant in local:
        at = dt.datetime.combine(day, clock, SOFIA).astimezone(dt.UTC)
        body = {"amount": float(amount), "category": category, "merchant": merchant,
                "spent_at": at.isoformat().replace("+00:00", "Z")}  # fmt: skip
        created = data(
            await stack.client.post("/api/transactions/", json=body, headers=headers), 201
        )
        ids.append(created["id"])
    # Amended and deleted spending counts as it is now.
    path = f"/api/transactions/{ids[2]}"
    data(await stack.client.put(path, json={"amount": 35.25}, headers=headers))
    data(await stack.client.delete(f"/api/transactions/{ids[3]}", headers=headers))
    return headers, {"first": first, "previous": previous, "ids": ids}


async def monthly(stack: Stack, headers: dict[str, str], **params: int) -> JSON:
    """GET /analytics/monthly."""
    found: JSON = data(
        await stack.client.get("/api/analytics/monthly", params=params, headers=headers)
    )
    return found


async def settled(stack: Stack, headers: dict[str, str], total: str) -> JSON:
    """This month's analytics once the projection holds every write."""
    seen: list[JSON] = []

    async def holds() -> bool:
        seen[:] = [await monthly(stack, headers)]
        return bool(seen[0]["total_spent"] == Decimal(total))

    await wait_until(holds, 30, "the spending projection")
    return seen[0]


async def test_monthly_analytics_are_the_live_transactions(insights_stack: Stack) -> None:
    stack = insights_stack
    headers, known = await user_with_spending(stack)
    month = await settled(stack, headers, "200.75")  # 45.50 + 120.00 + 35.25
    assert month["transaction_count"] == 3
    assert month["income"] == Decimal("3000.00")
    assert month["savings"] == Decimal("2799.25")
    assert [(c["category"], c["amount"], c["count"]) for c in month["by_category"]] == [
        ("groceries", Decimal("155.25"), 2),
        ("dining", Decimal("45.50"), 1),
    ]
    assert month["daily"] == [{"date": known["first"].isoformat(), "amount": Decimal("200.75")}]
    assert month["top_merchants"][0] == {
        "merchant": "Kaufland",
        "count": 2,
        "amount": Decimal("155.25"),
    }
    weekend = known["first"].isoweekday() >= 6
    assert month["weekend_total"] == (Decimal("200.75") if weekend else Decimal("0.00"))
    before = await monthly(
        stack, headers, year=known["previous"].year, month=known["previous"].month
    )
    assert before["total_spent"] == Decimal("160.00")
    breakdown = data(await stack.client.get("/api/analytics/category-breakdown", headers=headers))
    assert breakdown["total"] == Decimal("200.75")
    assert [c["percentage"] for c in breakdown["categories"]] == [
        Decimal("77.33"),
        Decimal("22.67"),
    ]
    trend = data(
        await stack.client.get("/api/analytics/trends", params={"months": 2}, headers=headers)
    )
    assert [m["total"] for m in trend["months"]] == [Decimal("160.00"), Decimal("200.75")]
    assert trend["month_over_month_change"] == Decimal("0.2547")
    assert trend["trend"] == "increasing"
    board = data(await stack.client.get("/api/analytics/dashboard", headers=headers))
    assert (board["last_month_total"], board["change"]) == (Decimal("160.00"), Decimal("0.2547"))


async def test_advice_is_written_from_the_users_figures(insights_stack: Stack) -> None:
    """advice_provider.dart: the latest advice and the history name the user's amounts."""
    stack = insights_stack
    headers, _ = await user_with_spending(stack)
    await settled(stack, headers, "200.75")
    latest = data(await stack.client.get("/api/insights/", headers=headers))
    assert set(latest) == {"id", "title", "content", "text", "category", "priority", "date"}
    assert latest["category"] == "groceries"
    assert "155.25" in latest["text"]
    assert "200.75" in latest["text"]
    assert "55%" in latest["text"]  # 155.25 against 100.00 the month before
    assert latest["priority"] == "high"
    again = data(await stack.client.get("/api/insights/", headers=headers))
    assert again["id"] == latest["id"]
    history = data(await stack.client.get("/api/insights/history", headers=headers))
    assert [h["date"][:7] for h in history][:2] == [
        this_month()[0].isoformat()[:7],
        this_month()[1].isoformat()[:7],
    ]
    assert all(set(h) == {"date", "text", "title"} for h in history)
    tips = data(await stack.client.get("/api/insights/income_based_tips", headers=headers))
    assert all(isinstance(t, str) for t in tips)
    assert any("2,799.25" in t for t in tips)
    fresh = stack.bearer((await stack.register())["access_token"])
    assert data(await stack.client.get("/api/insights/", headers=fresh)) is None
    assert data(await stack.client.get("/api/insights/history", headers=fresh)) == []


async def test_no_user_sees_another_users_figures(insights_stack: Stack) -> None:
    stack = insights_stack
    headers, _ = await user_with_spending(stack)
    await settled(stack, headers, "200.75")
    other = stack.bearer((await stack.register())["access_token"])
    paths = (
        "/api/analytics/monthly", "/api/analytics/dashboard", "/api/insights/history",
        "/api/analytics/category-breakdown", "/api/insights/income_based_tips",
    )  # fmt: skip
    for path in paths:
        answer = await stack.client.get(path, headers=other)
        assert answer.status_code == 200
        for leak in ("200.75", "155.25", "Kaufland", "Happy Bar"):
            assert leak not in answer.text, (path, leak)


async def test_mood_and_usage_events_the_apps_way(insights_stack: Stack) -> None:
    """logMood sends {mood, date: local ISO}; the analytics events are 200 exactly."""
    stack = insights_stack
    headers = stack.bearer((await stack.register(timezone="Europe/Sofia"))["access_token"])
    now = dt.datetime.now(SOFIA).replace(tzinfo=None)
    entry = data(
        await stack.client.post(
            "/api/mood/", json={"mood": 4, "date": now.isoformat()}, headers=headers
        ),
        201,
    )
    assert (entry["mood"], entry["date"]) == (4, now.date().isoformat())
    for bad in ({"mood": 7}, {"mood": "happy"}, {"mood": 3, "date": "soon"}):
        assert_error(await stack.client.post("/api/mood/", json=bad, headers=headers), 422)
    events = {
        "/api/analytics/feature-usage": {
            "feature": "insights_tab", "screen": "insights", "action": "open", "metadata": {},
            "session_id": None, "platform": "android", "app_version": "2.1.0",
            "timestamp": now.isoformat(),
        },
        "/api/analytics/feature-access-attempt": {
            "feature": "ai_assistant", "has_access": False, "is_premium_feature": True,
            "screen": "assistant", "metadata": {"source": "tab"},
        },
        "/api/analytics/paywall-impression": {
            "screen": "premium", "feature": "ai_assistant", "context": None, "metadata": {},
            "timestamp": now.isoformat(),
        },
    }  # fmt: skip
    for path, body in events.items():
        answer = await stack.client.post(path, json=body, headers=headers)
        assert answer.status_code == 200, answer.text
        assert answer.json()["data"]["recorded"] is True
    answer = await stack.client.post(
        "/api/analytics/feature-usage", json={"feature": "x" * 500}, headers=headers
    )
    assert_error(answer, 422)


async def test_category_suggestions_are_picker_names(insights_stack: Stack) -> None:
    """add_expense_screen.dart puts ``category`` in a picker of display names and casts
    ``confidence`` as a double."""
    stack = insights_stack
    headers = stack.bearer((await stack.register())["access_token"])
    cases = (
        ("Lukoil Sofia", "Transportation"), ("Starbucks latte", "Food & Dining"),
        ("аптека", "Health & Fitness"), ("Netflix", "Entertainment"),
    )  # fmt: skip
    for text, expected in cases:
        answer = await stack.client.post(
            "/api/ai/category-suggestions",
            json={"description": text, "amount": None},
            headers=headers,
        )
        found = data(answer)
        assert found[0]["category"] == expected, (text, found)
        assert len({f["category"] for f in found}) == len(found) <= 3
        # Floats with a decimal point (Dart's ``as double?`` refuses a JSON integer).
        assert all(isinstance(f["confidence"], float) for f in answer.json()["data"])


async def test_peers_by_income_tier(insights_stack: Stack) -> None:
    """getIncomeClassification, getPeerComparison and getCohortInsights: the caller's month
    against the others of the same tier — aggregates only, none for a tiny cohort."""
    stack = insights_stack

    async def spender(income: int, amount: str) -> dict[str, str]:
        headers = stack.bearer((await stack.register())["access_token"])
        data(await stack.client.patch("/api/users/me", json={"income": income}, headers=headers))
        body = {"amount": float(amount), "category": "dining"}
        data(await stack.client.post("/api/transactions/", json=body, headers=headers), 201)
        return headers

    for amount in ("100", "200", "300", "400", "500"):
        await spender(20000, amount)
    me = await spender(20000, "350")
    tier = data(await stack.client.get("/api/cohort/income_classification", headers=me))
    assert tier == {
        "monthly_income": Decimal("20000.00"), "tier": "high", "tier_name": "High Achiever",
        "range": "Over $12,000/month",
    }  # fmt: skip

    async def complete() -> bool:
        found = data(await stack.client.get("/api/cohort/peer_comparison", headers=me))
        return bool(found["cohort_size"] == 5 and found["your_spending"] == Decimal("350.00"))

    await wait_until(complete, 30, "the cohort's spending")
    peers = data(await stack.client.get("/api/cohort/peer_comparison", headers=me))
    assert (peers["peer_average"], peers["peer_median"], peers["percentile"]) == (
        Decimal("300.00"), Decimal("300.00"), 60,
    )  # fmt: skip
    assert peers["categories"]["dining"] == {
        "you": Decimal("350.00"),
        "peer_average": Decimal("300.00"),
    }
    assert "350.00" in peers["insights"][0]
    ranked = data(await stack.client.get("/api/cohort/insights", headers=me))
    assert (ranked["cohort_size"], ranked["your_rank"], ranked["percentile"]) == (5, 3, 40)
    alone = await spender(9000, "10")
    lonely = data(await stack.client.get("/api/cohort/peer_comparison", headers=alone))
    assert (lonely["tier"], lonely["peer_average"], lonely["percentile"]) == (
        "mid_high",
        None,
        None,
    )
    assert data(await stack.client.get("/api/cohort/insights", headers=alone))["your_rank"] is None


async def test_feature_usage_stats_and_admin_figures(insights_stack: Stack) -> None:
    """getFeatureUsageStats reads the caller's own counts (another user's id: 404); the admin
    portal's figures carry counts only."""
    stack = insights_stack
    account = await stack.register()
    headers = stack.bearer(account["access_token"])
    for _ in range(3):
        body = {"feature": "ai_assistant", "screen": "assistant"}
        data(await stack.client.post("/api/analytics/feature-usage", json=body, headers=headers))
    attempt = {"feature": "ai_assistant", "has_access": False}
    data(
        await stack.client.post(
            "/api/analytics/feature-access-attempt", json=attempt, headers=headers
        )
    )
    path = f"/api/analytics/feature-usage/{account['user']['id']}/ai_assistant"

    async def counted() -> bool:
        stats = data(await stack.client.get(path, headers=headers))
        return bool(stats["total_events"] == 4)

    await wait_until(counted, 30, "the usage counts")
    stats = data(await stack.client.get(path, headers=headers))
    assert stats["by_kind"] == {"feature_access_attempt": 1, "feature_usage": 3}
    assert stats["first_used_at"] <= stats["last_used_at"]
    other = stack.bearer((await stack.register())["access_token"])
    assert_error(await stack.client.get(path, headers=other), 404)
    assert_error(await stack.client.get("/api/admin/insights", headers=headers), 403)
