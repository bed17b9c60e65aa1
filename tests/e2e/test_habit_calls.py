"""The habits screen's calls (api_service.dart:1741-1805, habits_provider.dart,
habits_screen.dart:205-220) with the app's exact payloads, through the gateway."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from typing import Any

import httpx

from tests.e2e.conftest import Stack
from tests.e2e.owasp_support import assert_error

JSON = dict[str, Any]
ZONE = "Pacific/Auckland"  # far from UTC: the user's local day is not the server's


def data(answer: httpx.Response, status: int = 200) -> Any:
    """The envelope's data, numbers as Decimals."""
    assert answer.status_code == status, answer.text
    return answer.json(parse_float=Decimal)["data"]


async def user(stack: Stack) -> dict[str, str]:
    """A fresh user in Auckland."""
    account = await stack.register(timezone=ZONE)
    return stack.bearer(account["access_token"])


def today() -> dt.date:
    """The user's local today (DateTime.now() on their phone)."""
    return dt.datetime.now(zoneinfo.ZoneInfo(ZONE)).date()


async def test_a_habit_from_creation_to_deletion(roomy_stack: Stack) -> None:
    stack = roomy_stack
    headers = await user(stack)
    form = {"title": "Walk 10k steps", "description": "", "target_frequency": "daily"}
    made = data(await stack.client.post("/api/habits/", json=form, headers=headers), 201)
    assert (made["title"], made["target_frequency"], made["completed_dates"]) == (
        "Walk 10k steps", "daily", [])  # fmt: skip
    assert isinstance(made["id"], str)
    assert made["current_streak"] == 0
    path = f"/api/habits/{made['id']}"
    # toggleHabitCompletion: today's date as the phone formats it.
    day = today().isoformat()
    done = data(await stack.client.post(f"{path}/complete", json={"date": day}, headers=headers))
    assert done["completed_dates"] == [day]
    assert (done["current_streak"], done["completed_today"]) == (1, True)
    assert done["completion_rate"] == 100
    again = data(await stack.client.post(f"{path}/complete", json={"date": day}, headers=headers))
    assert again["completed_dates"] == [day]  # completing twice is once
    yesterday = (today() - dt.timedelta(days=1)).isoformat()
    data(await stack.client.post(f"{path}/complete", json={"date": yesterday}, headers=headers))
    listed = data(await stack.client.get("/api/habits/", headers=headers))
    assert [h["id"] for h in listed] == [made["id"]]
    assert listed[0]["current_streak"] == 2
    assert listed[0]["completed_dates"] == [yesterday, day]
    progress = data(await stack.client.get(f"{path}/progress", headers=headers))
    assert (progress["habit_id"], progress["total_completions"]) == (made["id"], 2)
    assert progress["recent"][-1] == {"start": day, "end": day, "completed": True,
                                      "completions": 1}  # fmt: skip
    undone = data(await stack.client.request("DELETE", f"{path}/complete", json={"date": day},
                                             headers=headers))  # fmt: skip
    assert undone["completed_dates"] == [yesterday]
    assert (undone["current_streak"], undone["completed_today"]) == (1, False)
    edited = data(await stack.client.patch(
        path, json={"title": "Walk", "description": "after lunch", "target_frequency": "weekly"},
        headers=headers))  # fmt: skip
    assert (edited["title"], edited["target_frequency"]) == ("Walk", "weekly")
    assert edited["completed_dates"] == [yesterday]
    gone = data(await stack.client.delete(path, headers=headers))
    assert gone["deleted"] is True
    assert data(await stack.client.get("/api/habits", headers=headers)) == []
    assert_error(await stack.client.get(f"{path}/progress", headers=headers), 404)


async def test_bad_habit_calls_are_refused_whole(roomy_stack: Stack) -> None:
    stack = roomy_stack
    headers = await user(stack)
    for bad in ({"title": "  "}, {"title": "x", "target_frequency": "hourly"}, {}):
        assert_error(await stack.client.post("/api/habits", json=bad, headers=headers), 422)
    made = data(await stack.client.post("/api/habits", json={"title": "Read"}, headers=headers),
                201)  # fmt: skip
    path = f"/api/habits/{made['id']}/complete"
    tomorrow = (today() + dt.timedelta(days=1)).isoformat()
    for bad in ({"date": tomorrow}, {"date": "someday"}):
        assert_error(await stack.client.post(path, json=bad, headers=headers), 422)
    assert data(await stack.client.get("/api/habits", headers=headers))[0]["completed_dates"] == []
    # An instant names the user's local day (Auckland, not UTC).
    noon = dt.datetime.combine(today(), dt.time(12), zoneinfo.ZoneInfo(ZONE))
    stamped = data(await stack.client.post(
        path, json={"date": noon.astimezone(dt.UTC).isoformat()}, headers=headers))  # fmt: skip
    assert stamped["completed_dates"] == [today().isoformat()]
    stranger = stack.bearer((await stack.register())["access_token"])
    for method, url in (("POST", path), ("DELETE", path),
                        ("PATCH", f"/api/habits/{made['id']}")):  # fmt: skip
        foreign = await stack.client.request(method, url, json={"title": "mine", "date": None},
                                             headers=stranger)  # fmt: skip
        assert_error(foreign, 404)
    assert_error(await stack.client.get("/api/habits/not-a-uuid/progress", headers=headers), 404)
