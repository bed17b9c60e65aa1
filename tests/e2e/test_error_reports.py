"""The app's error reports (core/error_handling.dart:67-81, sent with ``Bearer null``) through
the gateway: 202 raw, stored with the personal data scrubbed."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator

import pytest
from psycopg import sql

from shared import db
from tests.conftest import Infra
from tests.e2e.conftest import Stack, open_stack
from tests.e2e.owasp_support import assert_error

SECRET = "secret.person@example.com"


@pytest.fixture(scope="module")
async def reports_stack(infra: Infra) -> AsyncIterator[Stack]:
    """A stack with the insights service, which stores the reports."""
    async with open_stack(infra, insights=True) as stack:
        yield stack


def report(**over: object) -> dict[str, object]:
    """ErrorReport.toJson as the app sends it."""
    return {
        "id": str(uuid.uuid4()), "timestamp": "2026-12-02T10:15:00.000",
        "error": f"Failed to load budget for {SECRET} card 4111 1111 1111 1111",
        "stackTrace": "#0 ApiService.get (package:mita/api_service.dart:88)\n" * 3,
        "severity": "high", "category": "network",
        "context": {"screen": "budget", "email": SECRET, "token": "eyJa.eyJb.sig",
                    "nested": {"phone_number": "+359 888 123 456", "note": f"mail {SECRET}"}},
        "appVersion": "1.4.2", "platform": "android",
        "deviceInfo": {"model": "Pixel 7", "deviceName": "Maria's phone"},
        "isConnected": True, "userId": str(uuid.uuid4()),
    } | over  # fmt: skip


async def stored(stack: Stack, report_id: str) -> str:
    """The stored event's state of one report, as text."""
    schema = stack.auth_settings.schema_for("insights")
    conn = await db.connect(stack.auth_settings.database_url)
    try:
        cur = await conn.execute(
            sql.SQL("SELECT state FROM {}.insights_events WHERE originator_id = %s").format(
                sql.Identifier(schema)
            ),
            (uuid.UUID(report_id),),
        )
        row = await cur.fetchone()
        assert row is not None
        return bytes(row["state"]).decode()
    finally:
        await conn.close()


async def test_a_report_is_received_and_stored_scrubbed(reports_stack: Stack) -> None:
    stack = reports_stack
    body = report()
    answer = await stack.client.post("/api/errors/report", json=body,
                                     headers={"Authorization": "Bearer null"})  # fmt: skip
    assert answer.status_code == 202, answer.text
    raw = answer.json()
    assert raw["status"] == "received"
    assert "success" not in raw  # raw, as the app reads it
    text = await stored(stack, raw["report_id"])
    state = json.loads(text)
    for leak in (SECRET, "4111", "eyJa", "888 123", "Maria", str(body["userId"])):
        assert leak not in text, leak
    assert "[email]" in state["error"]
    assert state["severity"] == "high"
    assert state["context"]["screen"] == "budget"
    assert state["context"]["nested"]["phone_number"] == "[redacted]"
    assert state["device"]["model"] == "Pixel 7"
    long = await stack.client.post("/api/errors/report", json=report(stackTrace="x" * 60_000))
    assert long.status_code == 202, long.text  # cut, not refused: the app drops a 4xx
    wrong = {"error": "x", "isConnected": "maybe"}
    assert_error(await stack.client.post("/api/errors/report", json=wrong), 422)
    assert_error(await stack.client.post("/api/errors/report", json={}), 422)  # no error
