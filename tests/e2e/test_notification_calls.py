"""The notifications screen and the push-token calls with the app's exact payloads, through the
gateway (api_service.dart:1830-2070, 4170-4270, notification_model.dart): a goal reached raises
one notification, pushed to the recorded outbox; read, mark-all, delete; preferences and quiet
hours respected."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from psycopg import sql

from shared import db
from shared.projections import wait_for_position
from tests.conftest import Infra
from tests.e2e.conftest import Stack, open_stack
from tests.e2e.owasp_support import assert_error
from tests.helpers import wait_until

ZONE = "Asia/Tokyo"
REQUIRED = {"id", "user_id", "title", "message", "type", "priority", "status", "is_read",
            "created_at", "updated_at"}  # fmt: skip


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def notes_stack(infra: Infra) -> AsyncIterator[Stack]:
    """A stack with the notifications context."""
    async with open_stack(infra, notifications=True, rate_limit_per_minute=10_000) as stack:
        yield stack


async def reach_goal(stack: Stack, headers: dict[str, str], title: str) -> int:
    """Create a goal and complete it (the app's goal form); the completion's ledger position."""
    form = {"title": title, "description": "", "category": "Travel", "target_amount": 100.0,
            "saved_amount": 0, "monthly_contribution": 10.0, "priority": "medium",
            "target_date": None}  # fmt: skip
    made = await stack.client.post("/api/goals/", json=form, headers=headers)
    assert made.status_code == 201, made.text
    goal = made.json()["data"]["id"]
    done = await stack.client.post(f"/api/goals/{goal}/complete", headers=headers)
    assert done.status_code == 200, done.text
    conn = await db.connect(stack.ledger_settings.database_url)
    try:
        cur = await conn.execute(
            sql.SQL("SELECT max(notification_id) AS p FROM {} WHERE originator_id = %s").format(
                sql.Identifier(stack.ledger_settings.schema_for("ledger"), "ledger_events")
            ),
            (uuid.UUID(goal),),
        )
        row = await cur.fetchone()
    finally:
        await conn.close()
    assert row is not None
    return int(row["p"])


async def listed(stack: Stack, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    """getNotifications: the raw page."""
    query = {"limit": "100", "offset": "0", "unread_only": "false", **params}
    answer = await stack.client.get("/api/notifications/list", params=query, headers=headers)
    assert answer.status_code == 200, answer.text
    page: dict[str, Any] = answer.json()
    return page


async def settled(stack: Stack, headers: dict[str, str], count: int) -> list[dict[str, Any]]:
    """Wait until ``count`` notifications are listed and each one's push is settled."""
    found: list[dict[str, Any]] = []

    async def ready() -> bool:
        nonlocal found
        found = (await listed(stack, headers))["notifications"]
        return len(found) == count and all(n["status"] != "pending" for n in found)

    await wait_until(ready, 30, f"{count} settled notifications")
    return found


async def fanned_out(stack: Stack, position: int) -> None:
    """Wait until the fan-out policy has decided on the ledger event at ``position``."""
    conn = await db.connect(stack.auth_settings.database_url)
    try:
        schema = stack.auth_settings.schema_for("notifications")
        assert await wait_for_position(conn, schema, "notifications_fanout", "ledger", position, 30)
    finally:
        await conn.close()


async def test_a_notification_from_goal_to_deletion(notes_stack: Stack) -> None:
    stack, client = notes_stack, notes_stack.client
    me = await stack.register(timezone=ZONE)
    headers = stack.bearer(me["access_token"])
    # registerPushToken, then again with the same token (the app does so on every start).
    device = {"push_token": f"fcm-{uuid.uuid4().hex}", "platform": "android",
              "app_version": "1.4.0", "device_id": "a1b2c3",
              "timestamp": dt.datetime.now().isoformat()}  # fmt: skip
    first = await client.post("/api/notifications/register-device", json=device, headers=headers)
    assert first.status_code == 201, first.text
    assert first.json()["data"] == {"device_id": "a1b2c3", "status": "registered"}
    again = await client.post("/api/notifications/register-device", json=device, headers=headers)
    assert again.json()["data"]["status"] == "updated"

    await reach_goal(stack, headers, "Lisbon")
    [note] = await settled(stack, headers, 1)
    assert set(note) >= REQUIRED
    assert (note["title"], note["type"], note["category"], note["is_read"]) == (
        "Goal reached", "achievement", "goal", False,
    )  # fmt: skip
    assert (note["status"], note["channel"]) == ("sent", "outbox")  # no provider: the outbox
    assert note["user_id"] == me["user"]["id"]
    page = await listed(stack, headers)
    assert (page["total"], page["unread_count"], page["has_more"]) == (1, 1, False)
    count = await client.get("/api/notifications/unread-count", headers=headers)
    assert count.json()["data"] == {"unread_count": 1}
    one = await client.get(f"/api/notifications/{note['id']}", headers=headers)
    assert one.status_code == 200, one.text
    assert one.json()["id"] == note["id"]

    # Another user: the same 404 as an unknown id, for every id route.
    other = stack.bearer((await stack.register())["access_token"])
    for method, path in (("GET", ""), ("POST", "/mark-read"), ("DELETE", "")):
        foreign = await client.request(method, f"/api/notifications/{note['id']}{path}",
                                       headers=other)  # fmt: skip
        assert_error(foreign, 404)

    read = await client.post(f"/api/notifications/{note['id']}/mark-read", headers=headers)
    assert read.status_code == 200, read.text  # exactly 200: the app tests == 200

    async def none_unread() -> bool:
        return bool((await listed(stack, headers))["unread_count"] == 0)

    await wait_until(none_unread, 30, "the notification read")
    assert (await listed(stack, headers, unread_only="true"))["notifications"] == []
    await reach_goal(stack, headers, "Porto")
    await settled(stack, headers, 2)
    marked = await client.post("/api/notifications/mark-all-read", headers=headers)
    assert marked.status_code == 200, marked.text

    async def all_read() -> bool:  # the answer waits for the inbox, bounded (1 s): poll
        return bool((await listed(stack, headers))["unread_count"] == 0)

    await wait_until(all_read, 30, "every notification read")
    gone = await client.delete(f"/api/notifications/{note['id']}", headers=headers)
    assert gone.status_code == 200, gone.text

    async def deleted() -> bool:
        return bool((await listed(stack, headers))["total"] == 1)

    await wait_until(deleted, 30, "the notification gone")
    assert_error(await client.get(f"/api/notifications/{note['id']}", headers=headers), 404)

    # updatePushToken and unregisterPushToken (a JSON body on the DELETE).
    swap = {"old_push_token": device["push_token"], "new_push_token": "fcm-refreshed",
            "platform": "android", "timestamp": dt.datetime.now().isoformat()}  # fmt: skip
    patched = await client.patch("/api/notifications/update-device", json=swap, headers=headers)
    assert patched.status_code == 200, patched.text
    dropped = await client.request("DELETE", "/api/notifications/unregister-device",
                                   json={"push_token": "fcm-refreshed", "platform": "android"},
                                   headers=headers)  # fmt: skip
    assert dropped.status_code == 200, dropped.text


async def test_preferences_and_quiet_hours_are_respected(notes_stack: Stack) -> None:
    stack, client = notes_stack, notes_stack.client
    me = await stack.register(timezone=ZONE)
    headers = stack.bearer(me["access_token"])
    defaults = await client.get("/api/notifications/preferences", headers=headers)
    assert defaults.status_code == 200, defaults.text
    assert defaults.json()["goal_updates"] is True
    assert defaults.json()["quiet_hours_enabled"] is False
    off = await client.put("/api/notifications/preferences", json={"goal_updates": False},
                           headers=headers)  # fmt: skip
    assert off.status_code == 200, off.text
    assert off.json()["goal_updates"] is False
    await fanned_out(stack, await reach_goal(stack, headers, "Muted"))
    assert (await listed(stack, headers))["total"] == 0  # goal updates are off

    # Quiet hours around the user's local now (Tokyo): in-app only, no push.
    now = dt.datetime.now(zoneinfo.ZoneInfo(ZONE))
    start, end = (now - dt.timedelta(hours=1)).strftime("%H:%M"), (
        now + dt.timedelta(hours=1)
    ).strftime("%H:%M")  # fmt: skip
    quiet = {"goal_updates": True, "quiet_hours_enabled": True, "quiet_hours_start": start,
             "quiet_hours_end": end}  # fmt: skip
    answer = await client.put("/api/notifications/preferences", json=quiet, headers=headers)
    assert answer.status_code == 200, answer.text
    device = {"push_token": f"fcm-{uuid.uuid4().hex}", "platform": "ios"}
    registered = await client.post("/api/notifications/register-device", json=device,
                                   headers=headers)  # fmt: skip
    assert registered.status_code == 201, registered.text
    await reach_goal(stack, headers, "Quiet")
    [note] = await settled(stack, headers, 1)
    assert (note["status"], note["channel"]) == ("delivered", "in_app")
    bad = await client.put("/api/notifications/preferences", json={"quiet_hours_start": "25:00"},
                           headers=headers)  # fmt: skip
    assert_error(bad, 422)


async def test_notification_refusals(notes_stack: Stack) -> None:
    stack, client = notes_stack, notes_stack.client
    headers = stack.bearer((await stack.register())["access_token"])
    missing = f"/api/notifications/{uuid.uuid4()}"
    assert_error(await client.get(missing, headers=headers), 404)
    assert_error(await client.post(missing + "/mark-read", headers=headers), 404)
    assert_error(await client.delete(missing, headers=headers), 404)
    bad = await client.post("/api/notifications/register-device", json={"push_token": "x",
                            "platform": "windows"}, headers=headers)  # fmt: skip
    assert_error(bad, 422)
    assert_error(await client.get("/api/notifications/list"), 401)
