"""The 413 over a real socket, for clients that write the whole body before reading.

Python's ``http.client`` (like Dart's HttpClient streaming a receipt photo) sends every byte
of the body and only then reads the answer; if the server answered and closed early the client
got ``Connection reset by peer`` instead of the 413. The gateway runs under uvicorn here, as
``mita serve gateway`` runs it.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from services.gateway.main import create_app
from services.gateway.settings import GatewaySettings
from shared.embedded import free_port
from tests.conftest import Infra, random_prefix

# The production defaults (1 MiB, 10 MiB uploads): bodies of 2x-10x these outgrow what the
# loopback socket buffers absorb, so an early close would show as a reset.
LIMIT = 1024 * 1024
UPLOAD_LIMIT = 10 * 1024 * 1024


@pytest.fixture(scope="module")
def gateway_port(infra: Infra) -> Iterator[int]:
    """The gateway served by uvicorn on a loopback port."""
    settings = GatewaySettings.namespaced(
        random_prefix(),
        infra.database_url,
        infra.kafka_bootstrap,
        infra.redis_url,
        max_body_bytes=LIMIT,
        max_upload_bytes=UPLOAD_LIMIT,
    )
    assert isinstance(settings, GatewaySettings)
    port = free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_config=None, access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the gateway did not start"
        time.sleep(0.05)
    yield port
    server.should_exit = True
    thread.join(timeout=30)


def post_whole_body(
    port: int, path: str, body: bytes, content_type: str, *, chunk_delay: float = 0.0
) -> tuple[int, dict[str, Any]]:
    """Write the whole body (in 64 KiB chunks), then read the answer; (status, JSON body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.putrequest("POST", path)
        conn.putheader("Content-Type", content_type)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders()
        for start in range(0, len(body), 64 * 1024):
            conn.send(body[start : start + 64 * 1024])
            if chunk_delay:
                time.sleep(chunk_delay)
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def multipart(size: int) -> tuple[bytes, str]:
    """A multipart body with one ``file`` part of ``size`` bytes, and its content type."""
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="r.jpg"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return head + b"\xff" * size + f"\r\n--{boundary}--\r\n".encode(), (
        f"multipart/form-data; boundary={boundary}"
    )


def assert_413(status: int, body: dict[str, Any], limit: int) -> None:
    """The 413 error envelope, naming the limit."""
    assert status == 413
    assert body["success"] is False
    assert body["error"]["code"] == "payload_too_large"
    assert body["error"]["details"] == {"limit": limit}


@pytest.mark.parametrize("factor", [2, 10])
async def test_json_body_over_the_limit_reads_the_413(gateway_port: int, factor: int) -> None:
    """A JSON login of 2x and 10x the limit: the client gets the envelope, not a reset."""
    padding = "p" * (LIMIT * factor)
    body = json.dumps({"email": "a@example.com", "password": padding}).encode()
    status, answer = await asyncio.to_thread(
        post_whole_body, gateway_port, "/api/auth/login", body, "application/json"
    )
    assert_413(status, answer, LIMIT)


@pytest.mark.parametrize("factor", [2, 10])
async def test_multipart_upload_over_its_limit_reads_the_413(
    gateway_port: int, factor: int
) -> None:
    """A receipt photo of 2x and 10x the upload limit, and a multipart body to a JSON route."""
    body, content_type = multipart(UPLOAD_LIMIT * factor)
    status, answer = await asyncio.to_thread(
        post_whole_body, gateway_port, "/api/transactions/receipt", body, content_type
    )
    assert_413(status, answer, UPLOAD_LIMIT)
    small, small_type = multipart(LIMIT * factor)
    status, answer = await asyncio.to_thread(
        post_whole_body, gateway_port, "/api/auth/register", small, small_type
    )
    assert_413(status, answer, LIMIT)


async def test_slow_client_reads_the_413(gateway_port: int) -> None:
    """A client trickling 2x the limit over about three seconds still reads the 413."""
    body = json.dumps({"email": "a@example.com", "password": "p" * (LIMIT * 2)}).encode()
    status, answer = await asyncio.to_thread(
        post_whole_body,
        gateway_port,
        "/api/auth/login",
        body,
        "application/json",
        chunk_delay=0.1,
    )
    assert_413(status, answer, LIMIT)
