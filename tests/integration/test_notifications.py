"""The notifications context on real servers: the firebase-admin path against a local server
speaking the FCM v1 send API (delivered, an invalid token dropped, a 5xx retried with backoff),
and the fan-out exactly once under redelivery and with its worker killed mid-batch."""

from __future__ import annotations

import datetime as dt
import signal
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from contracts.goals import GOAL_COMPLETED
from services.budget.application import BudgetApplication
from services.ledger.application import LedgerApplication
from services.notifications.application import NotificationsApplication
from services.notifications.process import FanoutPolicy, PushPolicy
from services.notifications.projections import InboxProjection
from services.notifications.rules import Draft
from services.notifications.settings import NotificationsSettings
from shared.projections import apply_batch, setup_tracking
from shared.settings import MitaSettings
from tests.helpers import log_file, settings_env, spawn, wait_until
from tests.integration.test_budget_days_projection import envelopes
from tests.json_server import json_server

DRAFT = Draft("achievement", "Goal reached", "You reached a goal.", "medium", "goal",
              "goal_updates", {"goal_id": "g-1"})  # fmt: skip


def fcm(calls: list[dict[str, Any]]) -> Any:
    """FCM v1 ``messages:send``: "good" is delivered, "gone" is unregistered, "flaky" fails
    with 503 twice before it is delivered."""

    def reply(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        calls.append(body)
        token = body["message"]["token"]
        if token == "gone":
            return 404, {"error": {"code": 404, "message": "Requested entity was not found.",
                                   "status": "NOT_FOUND", "details": [
                                       {"@type": "type.googleapis.com/google.firebase.fcm.v1."
                                        "FcmError", "errorCode": "UNREGISTERED"}]}}  # fmt: skip
        if token == "flaky" and sum(c["message"]["token"] == "flaky" for c in calls) <= 2:
            return 503, {"error": {"code": 503, "message": "busy", "status": "UNAVAILABLE"}}
        return 200, {"name": f"projects/mita-test/messages/{len(calls)}"}

    return reply


@pytest.fixture
async def notes(settings: MitaSettings, conn: AsyncConnection[DictRow]) -> AsyncIterator[Any]:
    """The notifications store and its inbox read model in the test's schemas."""
    cfg = NotificationsSettings(**settings.model_dump())
    app = NotificationsApplication.for_database(cfg.database_url, cfg.schema_for("notifications"))
    assert isinstance(app, NotificationsApplication)
    inbox = InboxProjection(cfg.schema_for("notifications"))
    await setup_tracking(conn, inbox.schema)
    await inbox.setup(conn)
    await conn.commit()
    seen = {"notifications": 0}

    async def feed() -> None:
        got = await envelopes(conn, cfg, "notifications", seen["notifications"])
        if got:
            seen["notifications"] = got[-1].position
            await apply_batch(conn, inbox, got)

    yield cfg, app, inbox, feed
    app.close()


async def rows(conn: AsyncConnection[DictRow], schema: str, table: str) -> list[dict[str, Any]]:
    """Every row of one of the inbox's tables."""
    cur = await conn.execute(sql.SQL("SELECT * FROM {}").format(sql.Identifier(schema, table)))
    out = [dict(r) for r in await cur.fetchall()]
    await conn.commit()
    return out


async def test_firebase_pushes_drop_invalid_tokens_and_retry_5xx(
    notes: Any, conn: AsyncConnection[DictRow]
) -> None:
    cfg, app, inbox, feed = notes
    user = uuid.uuid4()
    now = dt.datetime.now(dt.UTC)
    for token in ("good", "gone", "flaky"):
        app.register_device(user, token, "android", None, "1.0", now)
    app.raise_notification("ledger", uuid.uuid4(), user, DRAFT, now)
    await feed()
    calls: list[dict[str, Any]] = []
    with json_server(fcm(calls)) as url:
        push_cfg = cfg.model_copy(update={
            "push_provider": "firebase", "firebase_project_id": "mita-test", "fcm_endpoint": url,
            "push_backoff_seconds": 0.01,
        })  # fmt: skip
        policy = PushPolicy.from_settings(push_cfg)
        try:
            created = [e for e in await envelopes(conn, cfg, "notifications")
                       if e.type == "notifications.NotificationCreated"]  # fmt: skip
            await apply_batch(conn, policy, created)
        finally:
            await policy.close()
    await feed()
    sent = [c["message"] for c in calls]
    tried = Counter(m["token"] for m in sent)
    assert tried == {"good": 1, "gone": 1, "flaky": 3}  # dropped at once; retried twice
    assert sent[0]["notification"] == {"title": "Goal reached", "body": "You reached a goal."}
    assert sent[0]["data"]["type"] == "achievement"
    schema = inbox.schema
    devices = {r["push_token"] for r in await rows(conn, schema, "devices")}
    assert devices == {"good", "flaky"}  # the unregistered token was dropped
    [note] = await rows(conn, schema, "notifications")
    assert (note["status"], note["channel"]) == ("sent", "fcm")
    assert note["sent_at"] is not None


async def test_a_provider_that_keeps_failing_is_recorded_as_failed(
    notes: Any, conn: AsyncConnection[DictRow]
) -> None:
    cfg, app, inbox, feed = notes
    user = uuid.uuid4()
    now = dt.datetime.now(dt.UTC)
    app.register_device(user, "any", "ios", None, None, now)
    app.raise_notification("ledger", uuid.uuid4(), user, DRAFT, now)
    await feed()
    calls: list[dict[str, Any]] = []

    def down(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        calls.append(body)
        return 500, {"error": {"code": 500, "message": "internal", "status": "INTERNAL"}}

    with json_server(down) as url:
        push_cfg = cfg.model_copy(update={
            "push_provider": "firebase", "firebase_project_id": "mita-test", "fcm_endpoint": url,
            "push_backoff_seconds": 0.01, "push_attempts": 3,
        })  # fmt: skip
        policy = PushPolicy.from_settings(push_cfg)
        try:
            created = await envelopes(conn, cfg, "notifications")
            await apply_batch(conn, policy, [e for e in created if e.type.endswith("Created")])
        finally:
            await policy.close()
    await feed()
    assert len(calls) == 3
    [note] = await rows(conn, inbox.schema, "notifications")
    assert note["status"] == "failed"
    assert note["error_message"]


async def test_fanout_is_once_per_event_under_redelivery(
    notes: Any, settings: MitaSettings, conn: AsyncConnection[DictRow]
) -> None:
    cfg, _, inbox, feed = notes
    ledger = LedgerApplication.for_database(settings.database_url, settings.schema_for("ledger"))
    assert isinstance(ledger, LedgerApplication)
    user = uuid.uuid4()
    goal = ledger.create_goal(user_id=user, title="Trip", target_amount=Decimal(100)).goal.id
    ledger.change_goal_status(goal, user_id=user, to="complete")
    ledger.close()
    events = [e for e in await envelopes(conn, settings, "ledger") if e.type == GOAL_COMPLETED]
    policy = FanoutPolicy.from_settings(cfg)
    try:
        for _ in range(3):  # the same event three times, as a redelivery after a crash would
            for event in events:
                await policy.apply(conn, event)
    finally:
        await policy.close()
    await feed()
    stored = [e for e in await envelopes(conn, cfg, "notifications")
              if e.type == "notifications.NotificationCreated"]  # fmt: skip
    assert len(stored) == 1
    assert [r["title"] for r in await rows(conn, inbox.schema, "notifications")] == ["Goal reached"]


async def test_a_worker_killed_mid_batch_raises_each_notification_once(
    settings: MitaSettings, conn: AsyncConnection[DictRow], tmp_path: Path
) -> None:
    """Goals reached while the notifications worker runs; SIGKILL it part way, start it again:
    every goal has exactly one notification."""
    ledger = LedgerApplication.for_database(settings.database_url, settings.schema_for("ledger"))
    assert isinstance(ledger, LedgerApplication)
    users = [uuid.uuid4() for _ in range(4)]
    goals = []
    for n in range(120):
        user = users[n % len(users)]
        goal = ledger.create_goal(user_id=user, title=f"G{n}", target_amount=Decimal(10)).goal.id
        ledger.change_goal_status(goal, user_id=user, to="complete")
        goals.append(goal)
    ledger.close()
    env = settings_env(settings, MITA_PROJECTION_BATCH_SIZE="10")
    schema = settings.schema_for("notifications")

    async def raised() -> int:
        try:
            cur = await conn.execute(
                sql.SQL("SELECT count(*) AS n FROM {} WHERE topic LIKE %s").format(
                    sql.Identifier(schema, "notifications_events")
                ),
                ("%NotificationCreated",),
            )
        except Exception:
            await conn.rollback()
            return 0
        row = await cur.fetchone()
        await conn.commit()
        return int(row["n"]) if row else 0

    log = log_file(tmp_path / "workers.log")  # an unread pipe could fill up and block them
    first = spawn(["worker", "ledger", "notifications"], env, stderr=log)
    try:

        async def some() -> bool:
            return await raised() > 0

        await wait_until(some, 90, "the first notifications")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(30)
    assert await raised() < len(goals), "the worker was killed after it had finished"
    second = spawn(["worker", "ledger", "notifications"], env, stderr=log)
    try:

        async def every() -> bool:
            listed = await conn.execute(
                sql.SQL("SELECT count(*) AS n FROM {}").format(
                    sql.Identifier(schema, "notifications")
                )
            )
            row = await listed.fetchone()
            await conn.commit()
            return await raised() == len(goals) and row is not None and row["n"] == len(goals)

        await wait_until(every, 120, "a notification per goal")
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) == 0
        log.close()
    cur = await conn.execute(
        sql.SQL("SELECT data->>'goal_id' AS goal, count(*) AS n FROM {} GROUP BY 1").format(
            sql.Identifier(schema, "notifications")
        )
    )
    per_goal = {r["goal"]: r["n"] for r in await cur.fetchall()}
    await conn.commit()
    assert per_goal == {str(g): 1 for g in goals}


async def test_a_real_time_cover_notifies_its_user_once(
    notes: Any, settings: MitaSettings, conn: AsyncConnection[DictRow]
) -> None:
    """A cover the budget decided becomes one "Budget adjusted" notification naming what
    moved; the same events delivered twice raise it once."""
    cfg, _, inbox, feed = notes
    budget = BudgetApplication.for_database(settings.database_url, settings.schema_for("budget"))
    assert isinstance(budget, BudgetApplication)
    user, tx = uuid.uuid4(), uuid.uuid4()
    today = dt.date(2026, 3, 10)  # mid-month: future days exist to give
    answers = {"income": {"monthly_income": "3000.00"}, "fixed_expenses": {"rent": "900.00"}}
    budget.submit_onboarding(user, answers, "UTC", today)
    plan = budget.month_plan(user, today.year, today.month)
    assert plan is not None
    moved = budget.cover_overspend(user, tx, day=today, category="food",
                                   spent=plan.days[today]["food"] + Decimal("10.00"),
                                   today=today)  # fmt: skip
    budget.close()
    assert moved.total == Decimal("10.00")
    events = await envelopes(conn, settings, "budget")
    policy = FanoutPolicy.from_settings(cfg)
    try:
        for one in events + events:
            if policy.wants(one):
                await policy.apply(conn, one)
    finally:
        await policy.close()
    await feed()
    [note] = await rows(conn, inbox.schema, "notifications")
    assert (note["title"], note["kind"], note["category"]) == ("Budget adjusted", "info", "budget")
    assert str(note["message"]).startswith("Budget adjusted: Food +10.00, ")
    for donor in {m.from_category for m in moved.moves}:
        taken = sum((m.amount for m in moved.moves if m.from_category == donor), Decimal(0))
        assert f"{donor.replace('_', ' ').capitalize()} \u2212{taken:.2f}" in str(note["message"])
    assert note["data"] == {"transaction_id": str(tx)}
