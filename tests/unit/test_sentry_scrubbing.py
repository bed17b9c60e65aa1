"""Sentry with a DSN, against a local endpoint that receives its envelopes: errors arrive, and
no email, token, amount or merchant text does (messages, breadcrumbs, exceptions, requests)."""

from __future__ import annotations

import gzip
import json
import logging
import threading
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import sentry_sdk
from fastapi import FastAPI, Request
from starlette.testclient import TestClient

from shared.observability import init_sentry
from shared.scrub import FILTERED, before_breadcrumb, before_send, scrub, scrub_text

EMAIL = "ada.lovelace@example.com"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJlLXNlY3JldA"
MERCHANT = "Corner Bakery Sofia"
AMOUNT = "1234.56"
PERSONAL = (EMAIL, TOKEN, MERCHANT, AMOUNT, "1,234.56", "Bakery")


@pytest.fixture
def sentry_endpoint() -> Iterator[tuple[str, list[bytes]]]:
    """A local Sentry ingest that keeps each envelope it receives (decompressed)."""
    received: list[bytes] = []

    class Ingest(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length", 0)))
            encoding = self.headers.get("content-encoding", "")
            if encoding == "gzip":
                raw = gzip.decompress(raw)
            elif encoding == "deflate":
                raw = zlib.decompress(raw)
            elif encoding == "br":
                import brotli  # type: ignore[import-not-found,unused-ignore]

                raw = brotli.decompress(raw)
            received.append(raw)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Ingest)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://public@127.0.0.1:{server.server_address[1]}/1", received
    finally:
        sentry_sdk.get_client().close(timeout=2)
        sentry_sdk.get_global_scope().set_client(None)
        server.shutdown()


def events_in(envelopes: list[bytes]) -> list[dict[str, Any]]:
    """The event items of the received envelopes."""
    found: list[dict[str, Any]] = []
    for envelope in envelopes:
        lines = envelope.split(b"\n")
        for header, payload in zip(lines[1::2], lines[2::2], strict=False):
            if json.loads(header).get("type") == "event":
                found.append(json.loads(payload))
    return found


def test_events_arrive_without_personal_data(sentry_endpoint: tuple[str, list[bytes]]) -> None:
    dsn, received = sentry_endpoint
    assert init_sentry(dsn, "test", "r1") is True
    log = logging.getLogger("mita.test.sentry")
    log.setLevel(logging.INFO)  # info lines become breadcrumbs
    app = FastAPI()

    @app.post("/api/transactions")
    async def record(request: Request) -> dict[str, str]:
        body = await request.json()
        log.info("recording %s at '%s' for %s", body["amount"], body["merchant"], EMAIL)
        raise ValueError(f"could not record {AMOUNT} at '{MERCHANT}' for {EMAIL}")

    client = TestClient(app, raise_server_exceptions=False)
    answer = client.post(
        "/api/transactions?email=" + EMAIL,
        json={"amount": AMOUNT, "merchant": MERCHANT, "email": EMAIL},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert answer.status_code == 500
    log.error('payment of 1,234.56 to "%s" failed; token %s, user %s', MERCHANT, TOKEN, EMAIL)
    sentry_sdk.get_client().flush(timeout=5)
    events = events_in(received)
    assert len(events) == 2, [e.get("message") or e.get("exception") for e in events]
    kinds = {e["exception"]["values"][0]["type"] for e in events if "exception" in e}
    assert kinds == {"ValueError"}  # the error itself arrives, with its type and place
    raw = b"".join(received)
    for personal in PERSONAL:
        at = raw.find(personal.encode())
        assert at < 0, (personal, raw[max(0, at - 300) : at + 50])
    crash = next(e for e in events if "exception" in e)
    assert crash["exception"]["values"][0]["value"] == (
        "could not record [amount] at '[text]' for [email]"
    )
    crumbs = [c.get("message") for c in crash["breadcrumbs"]["values"]]
    assert "recording [amount] at '[text]' for [email]" in crumbs, crumbs
    log.setLevel(logging.NOTSET)


def test_scrubbing_rules() -> None:
    assert scrub_text(f"paid $1,234.56 at 'Shop' for {EMAIL}, Bearer abcdefghijkl") == (
        "paid [amount] at '[text]' for [email], Bearer [token]"
    )
    assert scrub_text("retry 3 of job budget_rollover") == "retry [amount] of job budget_rollover"
    mixed = {"merchant": "Shop", "id": "x", "n": 5, "flag": True, "nested": [{"email": "e"}]}
    assert scrub(mixed) == {
        "merchant": FILTERED, "id": "x", "n": FILTERED, "flag": True,
        "nested": [{"email": FILTERED}],
    }  # fmt: skip
    event = {
        "level": "error", "user": {"id": "u1", "email": EMAIL, "ip_address": "1.2.3.4"},
        "request": {"data": {"amount": 1}, "cookies": "c", "headers": {"Authorization": "B x",
                    "Accept": "json"}, "query_string": f"q={EMAIL}", "url": "http://h/p"},
        "extra": {"token": TOKEN}, "message": f"for {EMAIL}",
    }  # fmt: skip
    out = before_send(event, {})
    assert out["user"] == {"id": "u1"}
    assert out["request"]["data"] == out["request"]["cookies"] == FILTERED
    assert out["request"]["headers"] == {"Authorization": FILTERED, "Accept": "json"}
    assert out["request"]["query_string"] == "q=[email]"
    assert out["extra"] == {"token": FILTERED}
    assert out["message"] == "for [email]"
    crumb = before_breadcrumb({"category": "httpx", "data": {"url": f"http://h?e={EMAIL}"}}, {})
    assert crumb == {"category": "httpx", "data": FILTERED}
