"""The mobile core journey through the gateway, with exact amounts.

register → onboarding → /users/me → calendar → a transaction created, amended, moved and
deleted, each visible on the dashboard as soon as the write answers (the gateway waits for
the budget side, bounded) → another user sees none of it; a write's answer carries its budget
impact and the cover of an overspend; check-affordability for a small and a big purchase.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest_asyncio

from tests.conftest import Infra
from tests.e2e.conftest import Stack, journey_stack_for
from tests.e2e.owasp_support import assert_error

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
    """One stack for the module (every test registers its own users)."""
    async with journey_stack_for(infra) as stack:
        yield stack


async def dashboard(stack: Stack, headers: dict[str, str]) -> JSON:
    """GET /api/dashboard; return ``data`` (amounts as Decimal)."""
    answer = await stack.client.get("/api/dashboard", headers=headers)
    assert answer.status_code == 200, answer.text
    data: JSON = answer.json(parse_float=Decimal)["data"]
    assert set(data) == DASHBOARD_KEYS
    return data


async def shows(stack: Stack, headers: dict[str, str], balance: str, spent: str) -> JSON:
    """Read-your-writes: right after a write the dashboard shows ``balance`` and ``spent``."""
    seen = await dashboard(stack, headers)
    assert (seen["balance"], seen["spent"]) == (Decimal(balance), Decimal(spent))
    return seen


async def onboarded(stack: Stack) -> tuple[dict[str, str], dt.date]:
    """A fresh user who went through onboarding (UTC), and their today."""
    a = stack.bearer((await stack.register(timezone="UTC"))["access_token"])
    answer = await stack.client.post("/api/onboarding/submit", json=ONBOARDING, headers=a)
    assert answer.status_code == 200, answer.text
    return a, dt.datetime.now(dt.UTC).date()


async def test_core_journey(journey_stack: Stack) -> None:
    """Exact balances through create, amend, category move and delete; isolation from B."""
    stack = journey_stack
    me = await stack.register(annual_income="72000", timezone="UTC")
    a = stack.bearer(me["access_token"])

    before = await stack.client.get("/api/users/me", headers=a)
    assert before.json()["data"]["has_onboarded"] is False
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
    assert profile.json()["data"]["has_onboarded"] is True  # read-your-writes across services
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
    seen = await shows(stack, a, "5958.00", "42.00")
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
    await shows(stack, a, "5900.00", "100.00")

    moved = {"category": "entertainment"}
    answer = await stack.client.put(f"/api/transactions/{tx}", json=moved, headers=a)
    assert answer.status_code == 200, answer.text
    after_move = await shows(stack, a, "5900.00", "100.00")
    assert {t["category"]: t["spent"] for t in after_move["daily_targets"]}.get("food") == 0
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
    gone = await shows(stack, a, "6000.00", "0.00")
    assert gone["transactions"] == []


async def test_a_write_answers_its_budget_impact(journey_stack: Stack) -> None:
    """Within budget: what is left; over it: the real-time cover, already in the read models."""
    stack = journey_stack
    a, today = await onboarded(stack)
    day = await stack.client.get(
        f"/api/calendar/day/{today.year}/{today.month}/{today.day}", headers=a
    )
    assert day.status_code == 200, day.text
    cells = {c["category"]: c for c in day.json(parse_float=Decimal)["data"]["categories"]}
    food = cells["food"]["planned"]
    assert food > 1

    small = await stack.client.post(
        "/api/transactions/", json={"amount": 1, "category": "groceries"}, headers=a
    )
    assert small.status_code == 201, small.text
    body = small.json(parse_float=Decimal)
    assert (body["data"]["rebalanced"], body["data"]["rebalance_covered"]) == (False, 0)
    assert body["data"]["rebalance_fully_covered"] is False
    assert body["meta"]["balance_impact"] == {
        "category": "groceries",
        "amount": Decimal(1),
        "remaining_budget": food - 1,
        "budget_exceeded": False,
    }

    big = await stack.client.post(
        "/api/transactions/", json={"amount": str(food + 9), "category": "food"}, headers=a
    )
    assert big.status_code == 201, big.text
    body = big.json(parse_float=Decimal)
    data, impact = body["data"], body["meta"]["balance_impact"]
    last_day = calendar.monthrange(today.year, today.month)[1]
    covered = data["rebalance_covered"]
    assert data["rebalanced"] is (today.day < last_day)
    assert Decimal(0) <= covered <= Decimal(10)  # the overspend is 10.00
    assert data["rebalance_fully_covered"] is (covered == 10)
    assert impact["remaining_budget"] == 0
    assert impact["budget_exceeded"] is (covered < 10)

    # Already visible, no polling: the day's plan grew by the cover, the history has it.
    day = await stack.client.get(
        f"/api/calendar/day/{today.year}/{today.month}/{today.day}", headers=a
    )
    cells = {c["category"]: c for c in day.json(parse_float=Decimal)["data"]["categories"]}
    assert (cells["food"]["planned"], cells["food"]["spent"]) == (food + covered, food + 10)
    history = await stack.client.get("/api/budget/redistribution_history", headers=a)
    moves = history.json(parse_float=Decimal)["data"]
    assert sum((m["amount"] for m in moves), Decimal(0)) == covered
    assert all(m["to_category"] == "food" for m in moves)


async def test_check_affordability(journey_stack: Stack) -> None:
    """A small purchase is safe; a huge one is danger and cannot be afforded; bad input 422."""
    stack = journey_stack
    a, day = await onboarded(stack)
    today = day.isoformat()
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
