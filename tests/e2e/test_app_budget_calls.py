"""The budget screens' calls (budget_provider.dart, budget_settings_screen.dart,
daily_budget_screen.dart) with the app's exact bodies, through the gateway."""

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
from tests.e2e.test_app_calls import ONBOARDING, data, spend

JSON = dict[str, Any]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def budget_stack(infra: Infra) -> AsyncIterator[Stack]:
    """One stack for the module (every test registers its own users)."""
    async with journey_stack_for(infra) as stack:
        yield stack


async def onboarded(stack: Stack) -> dict[str, str]:
    """A UTC user with income 6000 and rent 1500."""
    headers = stack.bearer((await stack.register(timezone="UTC"))["access_token"])
    data(await stack.client.post("/api/onboarding/submit", json=ONBOARDING, headers=headers))
    return headers


def next_month(day: dt.date) -> tuple[int, int]:
    """(year, month) after ``day``'s."""
    return (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)


async def month_plan(stack: Stack, headers: dict[str, str], year: int, month: int) -> list[JSON]:
    """The saved calendar of a month."""
    path = f"/api/calendar/saved/{year}/{month}"
    days: list[JSON] = data(await stack.client.get(path, headers=headers))["calendar"]
    return days


async def test_budget_mode_changes_the_layout(budget_stack: Stack) -> None:
    """getBudgetMode reads ``mode`` (api_service.dart:2361); setBudgetMode sends ``{mode}``.
    goal saves 30 % (1800 of 6000); flexible spreads entertainment over every day."""
    stack = budget_stack
    headers = await onboarded(stack)
    assert data(await stack.client.get("/api/budget/mode", headers=headers))["mode"] == "default"
    year, month = next_month(dt.datetime.now(dt.UTC).date())
    before = await month_plan(stack, headers, year, month)
    assert before[0]["planned_budget"]["savings"]["planned"] == 1200
    chosen = data(
        await stack.client.patch("/api/budget/mode", json={"mode": "goal"}, headers=headers)
    )
    assert (chosen["mode"], chosen["replanned"]) == ("goal", True)
    assert data(await stack.client.get("/api/budget/mode/", headers=headers))["mode"] == "goal"
    after = await month_plan(stack, headers, year, month)
    assert after[0]["planned_budget"]["savings"]["planned"] == 1800
    assert sum(Decimal(str(d["limit"])) for d in after) == 6000  # the month is still 6000
    data(await stack.client.patch("/api/budget/mode", json={"mode": "flexible"}, headers=headers))
    spread = await month_plan(stack, headers, year, month)
    assert all("entertainment" in d["planned_budget"] for d in spread)
    bad = await stack.client.patch("/api/budget/mode", json={"mode": "yolo"}, headers=headers)
    assert_error(bad, 422)
    log = data(
        await stack.client.get(
            "/api/budget/adaptations", params={"year": year, "month": month}, headers=headers
        )
    )
    kinds = [(a["type"], a["reason"]) for a in log["adaptations"]]
    assert kinds == [("planned", "onboarding"), ("replanned", "mode"), ("replanned", "mode")]
    assert log["adaptations"][1]["changes"]["savings"] == 600
    assert log["mode"] == "flexible"


async def test_automation_settings_drive_the_real_time_cover(budget_stack: Stack) -> None:
    """The settings screen PATCHes one switch at a time (budget_settings_screen.dart:522);
    with auto_redistribution off an overspend is not covered; strict mode never covers."""
    stack = budget_stack
    headers = await onboarded(stack)
    settings = data(await stack.client.get("/api/budget/automation_settings", headers=headers))
    assert settings == {
        "auto_redistribution": True,
        "smart_suggestions": True,
        "behavioral_learning": True,
        "realtime_alerts": True,
    }
    changed = data(
        await stack.client.patch(
            "/api/budget/automation_settings",
            json={"auto_redistribution": False, "unknown": 1},
            headers=headers,
        )
    )
    assert changed["auto_redistribution"] is False
    assert changed["smart_suggestions"] is True
    now = dt.datetime.now(dt.UTC).isoformat()
    big = await spend(stack, headers, "900.00", now)
    assert big["rebalanced"] is False
    data(
        await stack.client.patch(
            "/api/budget/automation_settings", json={"auto_redistribution": True}, headers=headers
        )
    )
    data(await stack.client.patch("/api/budget/mode", json={"mode": "strict"}, headers=headers))
    strict = await spend(stack, headers, "5.00", now)
    assert strict["rebalanced"] is False
    off = data(
        await stack.client.patch(
            "/api/budget/automation_settings", json={"smart_suggestions": False}, headers=headers
        )
    )
    assert off["smart_suggestions"] is False
    quiet = data(await stack.client.get("/api/budget/suggestions", headers=headers))
    assert (quiet["enabled"], quiet["suggestions"]) == (False, [])


async def test_suggestions_and_adaptation(budget_stack: Stack) -> None:
    """daily_budget_screen.dart:461 reads ``suggestions[].message``; main_screen.dart:155 and
    insights_screen.dart:373 read ``confidence``, ``intelligent_insights``, ``category_insights``.
    auto_adapt (no body) keeps the month's total."""
    stack = budget_stack
    headers = await onboarded(stack)
    today = dt.datetime.now(dt.UTC).date()
    # Enough that food runs out before the month ends whatever today's day of the month is.
    await spend(stack, headers, "2000.00", dt.datetime.now(dt.UTC).isoformat())
    found = data(await stack.client.get("/api/budget/suggestions", headers=headers))
    assert found["suggestions"]
    assert all(isinstance(s["message"], str) and s["message"] for s in found["suggestions"])
    assert 0 < found["confidence"] <= 1
    assert isinstance(found["intelligent_insights"], list)
    assert any(s["category"] == "food" for s in found["category_insights"])
    total_before = sum(
        Decimal(str(d["limit"])) for d in await month_plan(stack, headers, today.year, today.month)
    )
    adapted = data(await stack.client.post("/api/budget/auto_adapt", headers=headers))
    assert isinstance(adapted["adapted"], bool)
    moved_to = {m["to_category"] for m in adapted["moves"]}
    assert moved_to <= {"food"}
    days_left = calendar.monthrange(today.year, today.month)[1] - today.day
    assert adapted["adapted"] is (days_left > 0)
    after = await month_plan(stack, headers, today.year, today.month)
    assert sum(Decimal(str(d["limit"])) for d in after) == total_before
    if adapted["adapted"]:
        log = data(await stack.client.get("/api/budget/adaptations", headers=headers))
        assert log["adaptations"][-1]["type"] == "auto_adapt"
        assert log["adaptations"][-1]["total"] == adapted["total_moved"]


async def test_allocations_and_month_figures(budget_stack: Stack) -> None:
    """income_based_recommendations sends ``{monthly_income}`` and casts each allocation
    ``as double`` (budget_settings_screen.dart:679); behavioral_allocation sends
    ``{total_amount, profile}`` and reads ``allocations[c].amount|confidence`` (:785)."""
    stack = budget_stack
    headers = await onboarded(stack)
    await spend(stack, headers, "12.34", dt.datetime.now(dt.UTC).isoformat())
    rec = await stack.client.post(
        "/api/budget/income_based_recommendations",
        json={"monthly_income": 6000.0},
        headers=headers,
    )
    allocations = rec.json()["data"]["allocations"]
    assert all(isinstance(v, float) for v in allocations.values()), allocations  # never `0`
    assert round(sum(allocations.values()), 2) == 6000
    assert allocations["housing"] == 1500  # the caller's own rent is kept
    assert rec.json()["data"]["tier"] == "mid"
    small = data(
        await stack.client.post(
            "/api/budget/income_based_recommendations",
            json={"monthly_income": 1200.0},
            headers=headers,
        )
    )
    # Rent 1500 does not fit 1200: the plan of that income alone, and it says so.
    assert (small["tier"], small["includes_fixed_expenses"]) == ("low", False)
    assert "housing" not in small["allocations"]
    body = {"total_amount": 6000.0, "profile": {"income_tier": "IncomeTier.mid"}}
    split = data(
        await stack.client.post("/api/budget/behavioral_allocation", json=body, headers=headers)
    )
    assert sum(a["amount"] for a in split["allocations"].values()) == 6000
    assert all(0 < a["confidence"] <= 1 for a in split["allocations"].values())
    spent = data(await stack.client.get("/api/budget/spent", headers=headers))
    assert (spent["total_spent"], spent["categories"]) == (
        Decimal("12.34"),
        {"food": Decimal("12.34")},
    )
    today = dt.datetime.now(dt.UTC).date()
    month = data(
        await stack.client.post(
            "/api/budget/monthly",
            json={"year": today.year, "month": today.month, "user_answers": None},
            headers=headers,
        )
    )
    assert (month["source"], month["total_budget"]) == ("plan", 6000)
    assert len(month["days"]) == calendar.monthrange(today.year, today.month)[1]
    answers = {"income": {"monthly_income": 3000}, "fixed_expenses": {"rent": 900}}
    preview = data(
        await stack.client.post(
            "/api/budget/monthly",
            json={"year": 2027, "month": 2, "user_answers": answers},
            headers=headers,
        )
    )
    assert (preview["source"], preview["total_budget"], len(preview["days"])) == (
        "preview",
        3000,
        28,
    )
    assert preview["categories"]["housing"] == 900
    unfit = {"income": {"monthly_income": 100}, "fixed_expenses": {"rent": 900}}
    refused = await stack.client.post(
        "/api/budget/monthly",
        json={"year": 2027, "month": 2, "user_answers": unfit},
        headers=headers,
    )
    assert_error(refused, 422)
    # A month nobody planned yet is laid out from the latest answers (computed, not stored).
    later = data(
        await stack.client.post(
            "/api/budget/monthly", json={"year": 2031, "month": 5}, headers=headers
        )
    )
    assert (later["source"], later["total_budget"], len(later["days"])) == ("plan", 6000, 31)
    stranger = stack.bearer((await stack.register())["access_token"])
    nothing = data(
        await stack.client.post(
            "/api/budget/monthly", json={"year": 2031, "month": 5}, headers=stranger
        )
    )
    assert (nothing["source"], nothing["days"]) == ("none", [])
    left = data(
        await stack.client.get(
            "/api/budget/remaining",
            params={"year": today.year, "month": today.month},
            headers=headers,
        )
    )
    assert (left["total_budget"], left["total_spent"]) == (6000, Decimal("12.34"))
    assert left["remaining"] == Decimal("5987.66")
    status = data(
        await stack.client.get(
            "/api/transactions/budget-status",
            params={"date": dt.datetime.now().isoformat()},
            headers=headers,
        )
    )
    assert (status["date"], status["has_plan"]) == (today.isoformat(), True)
    food = next(c for c in status["categories"] if c["category"] == "food")
    assert food["month_spent_to_date"] >= Decimal("12.34")


async def test_budget_calls_see_only_the_callers_data(budget_stack: Stack) -> None:
    """Another user's spending, mode and settings never show in these answers."""
    stack = budget_stack
    owner = await onboarded(stack)
    await spend(stack, owner, "77.00", dt.datetime.now(dt.UTC).isoformat())
    data(await stack.client.patch("/api/budget/mode", json={"mode": "goal"}, headers=owner))
    other = stack.bearer((await stack.register())["access_token"])
    assert data(await stack.client.get("/api/budget/mode", headers=other))["mode"] == "default"
    spent = data(await stack.client.get("/api/budget/spent", headers=other))
    assert (spent["total_spent"], spent["categories"]) == (0, {})
    log = data(await stack.client.get("/api/budget/adaptations", headers=other))
    assert log["adaptations"] == []
    split = data(
        await stack.client.post(
            "/api/budget/behavioral_allocation", json={"total_amount": 100.0}, headers=other
        )
    )
    assert split["based_on_plan"] is False
    assert split["transactions_analyzed"] == 0
