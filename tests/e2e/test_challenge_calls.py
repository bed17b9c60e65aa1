"""The challenges screen's calls (api_service.dart:3356-3530, challenges_provider.dart,
challenges_screen.dart) with the app's exact payloads, through the gateway: join and leave
with no body, progress the server measures (a PATCHed number changes nothing), stats and a
leaderboard of display names."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from decimal import Decimal
from typing import Any

import httpx

from tests.e2e.conftest import Stack
from tests.e2e.owasp_support import assert_error

ZONE = "Pacific/Auckland"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
CARD_FIELDS = {
    "id", "name", "title", "description", "type", "duration_days", "reward_points",
    "reward_amount", "difficulty", "participants", "target_value", "current_progress",
    "end_date", "success_rate",
}  # fmt: skip


def data(answer: httpx.Response, status: int = 200) -> Any:
    """The envelope's data, numbers as Decimals."""
    assert answer.status_code == status, answer.text
    return answer.json(parse_float=Decimal)["data"]


def today() -> dt.date:
    """The user's local today."""
    return dt.datetime.now(zoneinfo.ZoneInfo(ZONE)).date()


async def test_a_challenge_joined_measured_and_left(roomy_stack: Stack) -> None:
    stack, client = roomy_stack, roomy_stack.client
    ana = await stack.register(name="Ana Saver", timezone=ZONE)
    bo = await stack.register(name="Bo", timezone=ZONE)
    mine, theirs = stack.bearer(ana["access_token"]), stack.bearer(bo["access_token"])

    cards = data(await client.get("/api/challenge/available", headers=mine))
    assert len(cards) == 9
    assert all(set(c) >= CARD_FIELDS and isinstance(c["id"], str) and c["id"] for c in cards)
    assert all(c["title"] == c["name"] and c["current_progress"] == 0 for c in cards)
    coffee = next(c for c in cards if c["id"] == "no_coffee_14")
    assert (coffee["target_value"], coffee["duration_days"]) == (14, 14)
    assert 0 <= coffee["success_rate"] <= 1

    joined = data(await client.post("/api/challenge/no_coffee_14/join", headers=mine))
    assert (joined["status"], joined["current_progress"], joined["target_value"]) == (
        "active", 0, 14,
    )  # fmt: skip
    assert joined["started_at"] == today().isoformat()
    again = data(await client.post("/api/challenge/no_coffee_14/join", headers=mine))
    assert again == joined  # joining a running challenge again changes nothing
    active = data(await client.get("/api/challenge/active", headers=mine))
    assert [c["id"] for c in active] == ["no_coffee_14"]
    assert active[0]["end_date"] == (today() + dt.timedelta(days=13)).isoformat()
    assert active[0]["participants"] >= 1
    left_to_join = data(await client.get("/api/challenge/available", headers=mine))
    assert "no_coffee_14" not in {c["id"] for c in left_to_join}

    # updateChallengeProgress: a free-form body; the client's number is ignored.
    claimed = {"current_progress": 14, "completed": True, "progress_percentage": 100}
    path = "/api/challenge/no_coffee_14/progress"
    patched = data(await client.patch(path, json=claimed, headers=mine))
    assert (patched["status"], patched["current_progress"]) == ("active", 0)
    assert data(await client.get(path, headers=mine)) == patched

    # Another user sees only their own standing and cannot leave for Ana.
    assert data(await client.get(path, headers=theirs))["status"] == "not_joined"
    assert data(await client.get("/api/challenge/active", headers=theirs)) == []
    refused = await client.post("/api/challenge/no_coffee_14/leave", headers=theirs)
    assert_error(refused, 404)

    coffee_now = {"amount": 4.5, "category": "coffee", "description": "flat white",
                  "spent_at": dt.datetime.now(dt.UTC).isoformat()}  # fmt: skip
    stored = await client.post("/api/transactions/", json=coffee_now, headers=mine)
    assert stored.status_code == 201, stored.text
    failed = data(await client.get(path, headers=mine))
    assert failed["status"] == "failed"
    assert failed["days_remaining"] == 0

    quit_ = data(await client.post("/api/challenge/no_coffee_14/leave", headers=mine))
    assert quit_["status"] == "failed"  # it had failed before it was left
    assert_error(await client.post("/api/challenge/no_coffee_14/leave", headers=mine), 404)
    stats = data(await client.get("/api/challenge/stats", headers=mine))
    assert (stats["completed_challenges"], stats["active_challenges"], stats["total_points"]) == (
        0, 0, 0,
    )  # fmt: skip
    assert (stats["current_level"], stats["next_level_points"]) == (1, 500)
    assert stats["badges_earned"] == []

    answer = await client.get("/api/challenge/leaderboard", params={"period": "weekly"},
                              headers=mine)  # fmt: skip
    board = data(answer)
    me = [r for r in board["top_users"] if r["is_current_user"]]
    assert me
    assert me[0]["username"] == "Ana Saver"
    assert board["user_rank"] == me[0]["rank"]
    assert ana["email"] not in answer.text
    assert bo["email"] not in answer.text
    assert not UUID.search(answer.text)


async def test_challenge_refusals(roomy_stack: Stack) -> None:
    stack, client = roomy_stack, roomy_stack.client
    account = await stack.register(timezone=ZONE)
    headers = stack.bearer(account["access_token"])
    assert_error(await client.post("/api/challenge/no_such_thing/join", headers=headers), 404)
    assert_error(await client.get("/api/challenge/no_such_thing/progress", headers=headers), 404)
    assert_error(await client.post("/api/challenge/Not-An-Id/join", headers=headers), 422)
    assert_error(
        await client.get("/api/challenge/leaderboard", params={"period": "yearly"},
                         headers=headers), 422,
    )  # fmt: skip
    assert_error(await client.get("/api/challenge/active"), 401)
    # A cap fixed at joining: nothing spent before, so the cap is 0 and the attempt runs.
    capped = data(await client.post("/api/challenge/dining_reduction_30/join", headers=headers))
    assert (capped["status"], capped["target_value"]) == ("active", 30)
