"""The Goals tab's calls (goals_screen.dart, goals_provider.dart, goal_insights_screen.dart,
smart_goal_recommendations_screen.dart) with the app's exact payloads, through the gateway."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from typing import Any

import pytest

from services.budget.engine.daily import distribute_month
from tests.e2e.calendar_support import month_totals, saved_month
from tests.e2e.conftest import Stack
from tests.e2e.owasp_support import assert_error
from tests.e2e.test_app_calls import data
from tests.helpers import wait_until

JSON = dict[str, Any]
SOFIA = "Europe/Sofia"


def form(**over: Any) -> JSON:
    """goals_screen.dart:225: the whole form, as the app sends it."""
    return {
        "title": "Trip to Lisbon", "description": "", "category": "Travel",
        "target_amount": 1200.0, "saved_amount": 0, "monthly_contribution": None,
        "priority": "medium", "target_date": None,
    } | over  # fmt: skip


async def user(stack: Stack, income: int | None = 3000) -> dict[str, str]:
    """A fresh Sofia user (with a monthly income)."""
    account = await stack.register(timezone=SOFIA)
    headers = stack.bearer(account["access_token"])
    if income is not None:
        data(await stack.client.patch("/api/users/me", json={"income": income}, headers=headers))
    return headers


async def create(stack: Stack, headers: dict[str, str], **over: Any) -> JSON:
    """POST /api/goals/."""
    goal: JSON = data(await stack.client.post("/api/goals/", json=form(**over), headers=headers),
                      201)  # fmt: skip
    return goal


async def listed(stack: Stack, headers: dict[str, str], **params: str) -> list[JSON]:
    """GET /api/goals/ (getGoals)."""
    found: list[JSON] = data(await stack.client.get("/api/goals/", params=params, headers=headers))
    return found


async def test_the_goal_form_round_trip(roomy_stack: Stack) -> None:
    stack = roomy_stack
    headers = await user(stack)
    today = dt.datetime.now(dt.UTC).date()
    goal = await create(stack, headers, saved_amount=200.5, monthly_contribution=100.0,
                        target_date=(today + dt.timedelta(days=400)).isoformat(),
                        priority="high")  # fmt: skip
    assert isinstance(goal["id"], str)
    assert goal["category"] == "Travel"  # echoed exactly
    assert goal["saved_amount"] == goal["current_amount"] == Decimal("200.50")
    assert goal["remaining_amount"] == Decimal("999.50")
    assert goal["progress"] == Decimal("16.71")
    assert goal["status"] == "active"
    assert goal["target_date"] == goal["deadline"]
    assert dt.datetime.fromisoformat(goal["created_at"]).tzinfo is not None
    assert dt.datetime.fromisoformat(goal["last_updated"]).tzinfo is not None
    assert (goal["is_completed"], goal["is_overdue"]) == (False, False)
    # The list has it at once (read-your-writes), filtered by status and category.
    assert [g["id"] for g in await listed(stack, headers)] == [goal["id"]]
    assert await listed(stack, headers, status="paused") == []
    assert [g["id"] for g in await listed(stack, headers, category="Travel")] == [goal["id"]]
    # The edit form sends the whole form again: the saving is applied, nulls clear.
    path = f"/api/goals/{goal['id']}"
    edited = data(await stack.client.patch(path, json=form(saved_amount=300, target_date=None,
                                                           description="Flights"),
                                           headers=headers))  # fmt: skip
    assert (edited["saved_amount"], edited["target_date"], edited["description"]) == (
        Decimal("300.00"), None, "Flights",
    )  # fmt: skip
    assert (edited["monthly_contribution"], edited["priority"]) == (None, "medium")
    again = data(await stack.client.get(path, headers=headers))
    assert again["saved_amount"] == Decimal("300.00")


async def test_savings_statuses_and_statistics(roomy_stack: Stack) -> None:
    stack = roomy_stack
    headers = await user(stack)
    trip = await create(stack, headers, target_amount=500.0, saved_amount=100)
    fund = await create(stack, headers, title="Laptop", category="Technology",
                        target_amount=1000.0)  # fmt: skip
    base = f"/api/goals/{trip['id']}"
    # add_savings {amount}: the target reached completes the goal by itself.
    saved = data(await stack.client.post(f"{base}/add_savings", json={"amount": 150.25},
                                         headers=headers))  # fmt: skip
    assert saved["saved_amount"] == Decimal("250.25")
    done = data(await stack.client.post(f"{base}/add_savings", json={"amount": 249.75},
                                        headers=headers))  # fmt: skip
    assert (done["status"], done["progress"], done["is_completed"]) == ("completed", 100.0, True)
    assert done["completed_at"] is not None
    other = f"/api/goals/{fund['id']}"
    assert data(await stack.client.post(f"{other}/pause", headers=headers))["status"] == "paused"
    assert data(await stack.client.post(f"{other}/pause", headers=headers))["status"] == "paused"
    answer = await stack.client.post(f"{base}/resume", headers=headers)
    assert_error(answer, 409)
    stats = data(await stack.client.get("/api/goals/statistics", headers=headers))
    assert (stats["total_goals"], stats["completed_goals"], stats["paused_goals"]) == (2, 1, 1)
    assert stats["completion_rate"] == 50.0  # 0..100, as goals_screen.dart:507 shows it
    assert stats["average_progress"] == 50.0  # (100 + 0) / 2
    assert stats["total_target_amount"] == Decimal("1500.00")
    assert stats["total_saved_amount"] == Decimal("500.00")
    assert data(await stack.client.post(f"{other}/resume", headers=headers))["status"] == "active"
    data(await stack.client.delete(other, headers=headers))
    assert_error(await stack.client.get(other, headers=headers), 404)
    assert [g["id"] for g in await listed(stack, headers)] == [trip["id"]]


@pytest.mark.parametrize(
    ("field", "value"),
    [("target_amount", 0), ("target_amount", -5), ("target_amount", 10.005),
     ("saved_amount", 1.001), ("category", "Cats"), ("priority", "urgent"),
     ("target_date", "next week")],
)  # fmt: skip
async def test_bad_forms_are_422_and_store_nothing(
    roomy_stack: Stack, field: str, value: Any
) -> None:
    stack = roomy_stack
    headers = await user(stack, income=None)
    answer = await stack.client.post("/api/goals/", json=form(**{field: value}), headers=headers)
    assert_error(answer, 422)
    assert await listed(stack, headers) == []


async def test_blank_and_null_mean_not_set(roomy_stack: Stack) -> None:
    stack = roomy_stack
    headers = await user(stack, income=None)
    goal = await create(stack, headers, category="", priority=None, description=None,
                        target_date="", saved_amount=None)  # fmt: skip
    assert (goal["category"], goal["priority"], goal["description"]) == ("Other", "medium", "")
    assert (goal["saved_amount"], goal["target_date"]) == (Decimal("0.00"), None)
    # A datetime for the date is its day; extra keys are ignored, server-owned ones not applied.
    other = await create(stack, headers, target_date="2030-01-31T00:00:00.000",
                         progress=99, status="completed", user_id="x", id="y")  # fmt: skip
    assert (other["target_date"], other["progress"], other["status"]) == (
        "2030-01-31", 0.0, "active",
    )  # fmt: skip
    answer = await stack.client.post(f"/api/goals/{goal['id']}/add_savings",
                                     json={"amount": 0}, headers=headers)  # fmt: skip
    assert_error(answer, 422)


async def test_health_on_track_or_not(roomy_stack: Stack) -> None:
    stack = roomy_stack
    headers = await user(stack)
    today = dt.datetime.now(zoneinfo.ZoneInfo(SOFIA)).date()
    due = today + dt.timedelta(days=365)
    goal = await create(stack, headers, target_amount=1200.0, saved_amount=0,
                        monthly_contribution=50.0, target_date=due.isoformat())  # fmt: skip
    health = data(await stack.client.get(f"/api/goals/{goal['id']}/health", headers=headers))
    assert isinstance(health["health_score"], int)
    assert health["on_track"] is False
    assert health["months_left"] == 12
    assert health["monthly_needed"] == Decimal("100.00")
    assert any("100.00" in r for r in health["recommendations"])
    assert health["predicted_completion_date"] is not None
    data(await stack.client.patch(f"/api/goals/{goal['id']}",
                                  json=form(target_amount=1200.0, monthly_contribution=100.0,
                                            target_date=due.isoformat()),
                                  headers=headers))  # fmt: skip
    health = data(await stack.client.get(f"/api/goals/{goal['id']}/health", headers=headers))
    assert health["on_track"] is True
    assert health["health_score"] == 60  # 40 × 0 % + 60 × full pace


async def test_recommendations_from_the_users_numbers(roomy_stack: Stack) -> None:
    stack = roomy_stack
    headers = await user(stack, income=3000)
    ideas = data(await stack.client.get("/api/goals/income_based_suggestions", headers=headers))
    emergency = next(i for i in ideas if i["category"] == "Emergency")
    assert emergency["target_amount"] == Decimal("8400")  # 4 × 70 % of 3000, rounded up to 10
    assert emergency["monthly_contribution"] == Decimal("450.00")  # 15 %
    smart = data(await stack.client.get("/api/goals/smart_recommendations", headers=headers))
    assert smart["monthly_income"] == Decimal("3000.00")
    assert isinstance(smart["recommendations"], list)
    created = data(await stack.client.post("/api/goals/", json={
        "title": emergency["title"], "description": emergency["description"],
        "category": emergency["category"], "target_amount": float(emergency["target_amount"]),
        "saved_amount": 0, "monthly_contribution": float(emergency["monthly_contribution"]),
        "priority": emergency["priority"], "target_date": emergency["suggested_deadline"],
    }, headers=headers), 201)  # fmt: skip
    assert created["category"] == "Emergency"
    adjustments = data(await stack.client.get("/api/goals/adjustments/suggestions",
                                              headers=headers))  # fmt: skip
    assert adjustments == {"adjustments": []}  # the contribution meets its date
    found = data(await stack.client.get("/api/goals/opportunities/detect", headers=headers))
    assert found == {"opportunities": []}  # no spending yet


async def test_another_users_goal_is_not_found(roomy_stack: Stack) -> None:
    stack = roomy_stack
    owner, intruder = await user(stack), await user(stack)
    goal = await create(stack, owner)
    base = f"/api/goals/{goal['id']}"
    calls = [("GET", base, None), ("GET", f"{base}/health", None), ("PATCH", base, form()),
             ("DELETE", base, None), ("POST", f"{base}/add_savings", {"amount": 5}),
             ("POST", f"{base}/pause", None), ("POST", f"{base}/complete", None)]  # fmt: skip
    for method, path, body in calls:
        answer = await stack.client.request(method, path, json=body, headers=intruder)
        assert_error(answer, 404)
    assert await listed(stack, intruder) == []
    assert data(await stack.client.get(base, headers=owner))["saved_amount"] == Decimal("0.00")


async def test_transactions_linked_by_goal_id_count_towards_the_goal(roomy_stack: Stack) -> None:
    stack = roomy_stack
    headers = await user(stack)
    goal, other = await create(stack, headers, target_amount=300.0), await create(stack, headers)
    path = f"/api/goals/{goal['id']}"

    async def saved(at: str, amount: str) -> None:
        async def holds() -> bool:
            found = data(await stack.client.get(at, headers=headers))
            return bool(found["saved_amount"] == Decimal(amount))

        await wait_until(holds, 30, f"{at} saving {amount}")

    body = {"amount": 120.5, "category": "other", "goal_id": goal["id"]}
    tx = data(await stack.client.post("/api/transactions/", json=body, headers=headers), 201)
    await saved(path, "120.50")
    tx_path = f"/api/transactions/{tx['id']}"
    data(await stack.client.put(tx_path, json={"amount": 80}, headers=headers))
    await saved(path, "80.00")
    # Moved to the other goal: it leaves the first.
    data(await stack.client.put(tx_path, json={"goal_id": other["id"]}, headers=headers))
    await saved(f"/api/goals/{other['id']}", "80.00")
    await saved(path, "0.00")
    data(await stack.client.delete(tx_path, headers=headers))
    await saved(f"/api/goals/{other['id']}", "0.00")
    # A link to someone else's goal saves nothing there.
    stranger = await user(stack)
    theirs = await create(stack, stranger)
    body = {"amount": 50, "category": "other", "goal_id": theirs["id"]}
    data(await stack.client.post("/api/transactions/", json=body, headers=headers), 201)
    mine = {"amount": 300, "category": "other", "goal_id": goal["id"]}
    data(await stack.client.post("/api/transactions/", json=mine, headers=headers), 201)
    await saved(path, "300.00")  # decided after the foreign link: that one was decided too
    assert data(await stack.client.get(path, headers=headers))["status"] == "completed"
    foreign = data(await stack.client.get(f"/api/goals/{theirs['id']}", headers=stranger))
    assert foreign["saved_amount"] == Decimal("0.00")


async def test_ai_goal_analysis_weighs_the_goals_against_the_money(roomy_stack: Stack) -> None:
    """insights_screen.dart:321 (getAIGoalAnalysis): a map in ``data``, from the caller's own
    goals, income and spending."""
    stack = roomy_stack
    headers = await user(stack, income=2000)
    empty = data(await stack.client.get("/api/ai/goal-analysis", headers=headers))
    assert empty["open_goals"] == 0
    assert empty["summary"] == "No open goals. You keep about 2,000.00 a month after spending."
    today = dt.datetime.now(zoneinfo.ZoneInfo(SOFIA)).date()
    due = (today + dt.timedelta(days=365)).isoformat()
    await create(stack, headers, title="Car", category="Vehicle", target_amount=2400.0,
                 monthly_contribution=100.0, target_date=due, priority="low")  # fmt: skip
    await create(stack, headers, title="Buffer", category="Emergency", target_amount=600.0,
                 saved_amount=150, monthly_contribution=50.0, priority="high")  # fmt: skip
    found = data(await stack.client.get("/api/ai/goal-analysis", headers=headers))
    assert [g["title"] for g in found["goals"]] == ["Buffer", "Car"]  # priority first
    assert found["total_target_amount"] == Decimal("3000.00")
    assert found["total_saved_amount"] == Decimal("150.00")
    assert found["monthly_planned"] == Decimal("150.00")
    assert found["monthly_needed"] == Decimal("200.00")  # 2,400 over 12 months; Buffer: no date
    assert found["on_track"] is False
    assert found["summary"] == (
        "2 open goals: 150.00 of 3,000.00 saved (5%). You plan 150.00 a month; their dates "
        "need 200.00, out of the 2,000.00 you keep after spending."
    )
    assert any("200.00 a month" in r for r in found["recommendations"])
    assert "Behind plan: Car." in found["recommendations"]
    stranger = await user(stack)
    theirs = data(await stack.client.get("/api/ai/goal-analysis", headers=stranger))
    assert theirs["open_goals"] == 0


async def test_a_goal_contribution_reserves_savings_in_the_calendar(roomy_stack: Stack) -> None:
    """Creating a goal with 250 a month: next month's savings line is 250 higher and its wants
    250 lower (income conserved); this month from today on is laid out from the same plan and
    the missing 250 is set aside today; pausing gives the money back to next month."""
    stack = roomy_stack
    headers = await user(stack)
    body = {"income": {"monthly_income": 6000}, "fixed_expenses": {"rent": 1500}}
    data(await stack.client.post("/api/onboarding/submit", json=body, headers=headers))
    me = data(await stack.client.get("/api/users/me", headers=headers))
    today = dt.datetime.now(zoneinfo.ZoneInfo(SOFIA)).date()
    nxt = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    before_next = month_totals(await saved_month(stack, headers, *nxt))
    assert before_next["savings"] == Decimal("1200.00")

    goal = await create(stack, headers, monthly_contribution=250.0)

    async def reserved() -> bool:
        totals = month_totals(await saved_month(stack, headers, *nxt))
        return totals.get("savings") == Decimal("1450.00")

    await wait_until(reserved, timeout=20)
    after_next = month_totals(await saved_month(stack, headers, *nxt))
    assert sum(after_next.values()) == sum(before_next.values()) == Decimal("6000.00")
    for name in ("housing", "food", "transportation", "healthcare"):
        assert after_next[name] == before_next[name]  # fixed and needs untouched
    wants = ("entertainment", "shopping", "travel", "education", "other")
    assert sum(after_next[w] for w in wants) == sum(before_next[w] for w in wants) - 250

    after = (nxt[0] + 1, 1) if nxt[1] == 12 else (nxt[0], nxt[1] + 1)
    later = month_totals(await saved_month(stack, headers, *after))  # computed, not yet stored
    assert later["savings"] == Decimal("1450.00")
    assert sum(later.values()) == Decimal("6000.00")

    expected = distribute_month(after_next, today.year, today.month, user_id=str(me["id"]))
    this_month = {e["date"]: e for e in await saved_month(stack, headers, today.year, today.month)}
    for day, amounts in expected.items():
        if day < today:
            continue
        planned = {k: Decimal(str(v["planned"])) for k, v in this_month[day.isoformat()]
                   ["planned_budget"].items() if v["planned"]}  # fmt: skip
        want = {k: v for k, v in amounts.items() if v}
        if day == today and day.day > 1:
            want["savings"] = Decimal("250.00")  # day 1's 1200 stays set aside
        assert planned == want, day
        assert Decimal(str(this_month[day.isoformat()]["limit"])) == sum(want.values())

    data(await stack.client.post(f"/api/goals/{goal['id']}/pause", headers=headers))

    async def released() -> bool:
        totals = month_totals(await saved_month(stack, headers, *nxt))
        return totals.get("savings") == Decimal("1200.00")

    await wait_until(released, timeout=20)
    assert month_totals(await saved_month(stack, headers, *nxt)) == before_next
