"""The gateway's body limit on tiny apps: declared and streamed bodies, the bounded drain,
the upload limit of receipt paths, and raw ASGI callers."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from services.gateway.audit import AUDIT_LOGGER
from services.gateway.middleware import DRAIN_FACTOR, BodySizeLimitMiddleware
from tests.unit.test_gateway_middleware import (
    LIMIT,
    UPLOAD_LIMIT,
    assert_error,
    http_scope,
    tiny_app,
)


def limited_app() -> FastAPI:
    """A tiny app behind the body-size limit only."""
    app = tiny_app()
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=LIMIT, max_upload_bytes=UPLOAD_LIMIT)
    return app


@pytest.fixture
def limited() -> Iterator[TestClient]:
    """A client of ``limited_app``."""
    with TestClient(limited_app()) as client:
        yield client


def chunks(total: int, size: int = 256) -> Iterator[bytes]:
    """A chunked body (no Content-Length) of ``total`` bytes."""
    return iter([b"x" * min(size, total - start) for start in range(0, total, size)])


def test_content_length_over_limit_is_413(
    limited: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger=AUDIT_LOGGER):
        response = limited.post("/api/raw", content=b"x" * (LIMIT + 1))
    assert assert_error(response, 413)["error"]["details"] == {"limit": LIMIT}
    records = [json.loads(r.getMessage()) for r in caplog.records if r.name == AUDIT_LOGGER]
    assert [(r["event"], r["content_length"]) for r in records] == [("body.too_large", LIMIT + 1)]
    assert limited.post("/api/raw", content=b"x" * LIMIT).json()["data"] == {"size": LIMIT}


def test_chunked_body_over_limit_is_413(limited: TestClient) -> None:
    assert_error(limited.post("/api/raw", content=chunks(LIMIT * 3)), 413)
    # FastAPI turns body-read failures into 400; ours must stay a 413.
    json_body = {"content-type": "application/json"}
    body = assert_error(
        limited.post("/api/items", content=chunks(LIMIT * 2), headers=json_body), 413
    )
    assert str(LIMIT) in body["detail"]
    within = limited.post("/api/raw", content=chunks(LIMIT - 10))
    assert within.json()["data"] == {"size": LIMIT - 10}


async def test_streamed_body_rejected_while_being_read() -> None:
    pulled = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(200):
            pulled += 1
            yield b"x" * 256

    transport = httpx.ASGITransport(app=limited_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.post("/api/raw", content=body())
    assert "content-length" not in response.request.headers
    assert_error(response, 413)
    # Past the limit the rest is read and thrown away, but only up to the drain bound: the
    # generator is never run to its end (200 chunks = 50 x the limit).
    bound = (LIMIT + LIMIT * DRAIN_FACTOR) // 256 + 2
    assert LIMIT // 256 < pulled <= bound < 200


def test_multipart_receipt_upload_gets_upload_limit(limited: TestClient) -> None:
    files = {"file": ("r.jpg", b"x" * (LIMIT * 2), "image/jpeg")}
    assert limited.post("/api/transactions/t1/receipt", files=files).status_code == 200
    assert limited.post("/api/transactions/t1/receipt/", files=files).status_code != 413
    assert_error(limited.post("/api/raw", files=files), 413)
    too_big = {"file": ("r.jpg", b"x" * (UPLOAD_LIMIT + 1), "image/jpeg")}
    assert_error(limited.post("/api/transactions/t1/receipt", files=too_big), 413)
    # Not multipart: the ordinary body limit applies even on an upload path.
    assert_error(limited.post("/api/transactions/t1/receipt", content=b"x" * (LIMIT * 2)), 413)


async def call_asgi(app: Any, scope: Scope, body: list[bytes]) -> list[Message]:
    """Drive an ASGI app directly; return what it sent."""
    n = len(body) - 1
    pending = [{"type": "http.request", "body": b, "more_body": i < n} for i, b in enumerate(body)]
    sent: list[Message] = []

    async def receive() -> Message:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


async def reading_app(scope: Scope, receive: Receive, send: Send) -> None:
    """A raw ASGI app (no exception handlers) that reads the whole body."""
    while (await receive()).get("more_body", False):
        pass
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def test_raw_app_overflow_and_bad_length_answered_by_middleware() -> None:
    mw = BodySizeLimitMiddleware(reading_app, max_body_bytes=LIMIT, max_upload_bytes=LIMIT)
    sent = await call_asgi(mw, http_scope([]), [b"x" * 600, b"x" * 600])
    assert sent[0]["status"] == 413
    assert (b"connection", b"close") in sent[0]["headers"]
    assert json.loads(sent[1]["body"])["error"]["code"] == "payload_too_large"
    for bad in (b"abc", b"-1", b"1_0", b"\xc2\xb2"):
        sent = await call_asgi(mw, http_scope([(b"content-length", bad)]), [b""])
        assert sent[0]["status"] == 400
    assert (await call_asgi(mw, http_scope([]), [b"x" * 600]))[0]["status"] == 204
