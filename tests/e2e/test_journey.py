"""The mobile core journey through the gateway, with exact amounts.

register → onboarding → /users/me → calendar → a transaction created, amended, moved and
deleted, each visible on the dashboard (eventually consistent: polled, never slept) →
another user sees none of it; check-affordability for a small and a big purchase.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest_asyncio

from tests.conftest import Infra
from tests.e2e.conftest import Stack, open_stack
from tests.e2e.owasp_support import assert_error
from tests.helpers import wait_until

JSON = dict[str, Any]
ONBOARDING: JSON = {
    "timezone": "UTC",
    "income": {"monthly_income": 6000},
    "fixed_expenses": {"rent": 1500, "utilities": 200},
    "goals": {"savings_goal_amount_per_month": 400},
}
DASHBOARD_KEYS = {
    "balance", "spent", "user_income", "daily_targets", "week", "transactions",
    "insights_preview", "goals", "goals_summary",
}  # fmt: skip


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def journey_stack(infra: Infra) -> AsyncIterator[Stack]:
    """One stack for the module."""
    async with open_stack(
        infra, rate_limit_per_minute=10_000, auth_rate_limit_per_minute=10_000
    ) as stack:
        yield stack


async def dashboard(stack: Stack, headers: dict[str, str]) -> JSON:
    """GET /api/dashboard; return ``data`` (amounts as Decimal)."""
    answer = await stack.client.get("/api/dashboard", headers=headers)
    assert answer.status_code == 200, answer.text
    data: JSON = answer.json(parse_float=Decimal)["data"]
    assert set(data) == DASHBOARD_KEYS
    return data


async def settles(
    stack: Stack, headers: dict[str, str], balance: str, spent: str, what: str
) -> JSON:
    """Poll the dashboard until it shows ``balance`` and today's ``spent``; return it."""
    seen: JSON = {}

    async def check() -> bool:
        nonlocal seen
        seen = await dashboard(stack, headers)
        return bool(seen["balance"] == Decimal(balance) and seen["spent"] == Decimal(spent))

    await wait_until(check, timeout=20, what=what)
    return seen


async def test_core_journey(journey_stack: Stack) -> None:
    """Exact balances through create, amend, category move and delete; isolation from B."""
    stack = journey_stack
    me = await stack.register(annual_income="72000", timezone="UTC")
    a = stack.bearer(me["access_token"])

    empty = await dashboard(stack, a)
    assert empty["balance"] == 0
    assert empty["user_income"] == 0
    assert empty["daily_targets"] == []
    assert empty["transactions"] == []
    assert len(empty["week"]) == 7

    answer = await stack.client.post("/api/onboarding/submit", json=ONBOARDING, headers=a)
    assert answer.status_code == 200, answer.text
    plan = answer.json(parse_float=Decimal)["data"]["budget_plan"]
    assert plan["total_income"] == Decimal(6000)
    assert plan["fixed_expenses_total"] == Decimal(1700)
    assert plan["savings_goal"] == Decimal(1200)  # max(20 % of income, the 400 goal)

    profile = await stack.client.get("/api/users/me", headers=a)
    assert profile.status_code == 200, profile.text
    assert profile.json()["data"]["email"] == me["email"]
    assert Decimal(str(profile.json()["data"]["income"])) == Decimal(6000)

    today = dt.datetime.now(dt.UTC).date()
    answer = await stack.client.get(f"/api/calendar/saved/{today.year}/{today.month}", headers=a)
    assert answer.status_code == 200, answer.text
    days = answer.json(parse_float=Decimal)["data"]["calendar"]
    assert len(days) == calendar.monthrange(today.year, today.month)[1]
    assert [d["day"] for d in days] == list(range(1, len(days) + 1))
    assert all(d["limit"] > 0 for d in days)

    start = await dashboard(stack, a)
    assert start["user_income"] == Decimal(6000)
    assert start["balance"] == Decimal(6000)
    assert len(start["week"]) == 7
    assert [w["day"] for w in start["week"]] == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert {t["category"] for t in start["daily_targets"]} >= {"food"}
    assert all(t["icon"] and t["color"] for t in start["daily_targets"])

    body = {"amount": 42.00, "category": "food", "description": "Lunch"}
    created = await stack.client.post("/api/transactions/", json=body, headers=a)
    assert created.status_code == 201, created.text
    tx = created.json()["data"]["id"]
    seen = await settles(stack, a, "5958.00", "42.00", "the 42.00 food on the dashboard")
    assert [t["id"] for t in seen["transactions"]] == [tx]
    row = seen["transactions"][0]
    assert row["amount"] == Decimal("42.00")
    assert row["action"] == "Lunch"
    assert row["category"] == "food"
    assert row["icon"]
    assert row["color"]
    food = next(t for t in seen["daily_targets"] if t["category"] == "food")
    assert food["spent"] == Decimal("42.00")

    answer = await stack.client.put(f"/api/transactions/{tx}", json={"amount": 100}, headers=a)
    assert answer.status_code == 200, answer.text
    await settles(stack, a, "5900.00", "100.00", "the amendment to 100")

    moved = {"category": "entertainment"}
    answer = await stack.client.put(f"/api/transactions/{tx}", json=moved, headers=a)
    assert answer.status_code == 200, answer.text

    async def moved_over() -> bool:
        data = await dashboard(stack, a)
        targets = {t["category"]: t["spent"] for t in data["daily_targets"]}
        return bool(targets.get("food") == 0 and data["balance"] == Decimal("5900.00"))

    await wait_until(moved_over, timeout=20, what="the move to entertainment")
    after_move = await dashboard(stack, a)
    assert after_move["spent"] == Decimal("100.00")
    assert after_move["transactions"][0]["category"] == "entertainment"

    other = await stack.register(timezone="UTC")
    b = stack.bearer(other["access_token"])
    assert_error(await stack.client.get(f"/api/transactions/{tx}", headers=b), 404)
    theirs = await dashboard(stack, b)
    assert theirs["transactions"] == []
    assert theirs["balance"] == 0
    assert theirs["spent"] == 0

    answer = await stack.client.delete(f"/api/transactions/{tx}", headers=a)
    assert answer.status_code == 200, answer.text
    gone = await settles(stack, a, "6000.00", "0.00", "the deletion")
    assert gone["transactions"] == []


async def test_check_affordability(journey_stack: Stack) -> None:
    """A small purchase is safe; a huge one is danger and cannot be afforded; bad input 422."""
    stack = journey_stack
    a = stack.bearer((await stack.register(timezone="UTC"))["access_token"])
    answer = await stack.client.post("/api/onboarding/submit", json=ONBOARDING, headers=a)
    assert answer.status_code == 200, answer.text
    today = dt.datetime.now(dt.UTC).date().isoformat()
    url = "/api/transactions/check-affordability"

    small = await stack.client.post(
        url, json={"category": "groceries", "amount": 1, "date": today}, headers=a
    )
    assert small.status_code == 200, small.text
    data = small.json(parse_float=Decimal)["data"]
    assert data["can_afford"] is True
    assert data["warning_level"] == "safe"
    assert data["category"] == "groceries"
    assert data["amount"] == Decimal(1)
    assert data["daily_budget"] > 1
    assert data["overage"] == 0

    big = await stack.client.post(
        url, json={"category": "food", "amount": 50000, "date": today}, headers=a
    )
    assert big.status_code == 200, big.text
    data = big.json(parse_float=Decimal)["data"]
    assert data["can_afford"] is False
    assert data["warning_level"] == "danger"
    assert data["overage"] == Decimal(50000) - data["daily_budget"]
    assert data["suggestions"]

    for bad in ({"category": "caviar", "amount": 5}, {"category": "food", "amount": -1}):
        assert_error(await stack.client.post(url, json=bad, headers=a), 422)
    assert_error(await stack.client.post(url, json={"category": "food", "amount": 5}), 401)
