"""Gateway → service calls: retries only for idempotent calls, clear 503/504 otherwise."""

from __future__ import annotations

import httpx
import pytest

from services.gateway.upstream import Upstream
from shared.api import ApiError


def upstream(handler: httpx.MockTransport, retries: int = 2) -> Upstream:
    """An Upstream whose auth service is ``handler``."""
    return Upstream(
        {"auth": "http://auth.internal"}, timeout=1.0, retries=retries, transports={"auth": handler}
    )


async def test_get_is_retried_after_a_connection_failure() -> None:
    calls: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        if len(calls) < 3:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, json={"ok": True})

    up = upstream(httpx.MockTransport(handle))
    answer = await up.call("auth", "GET", "/users/me")
    assert answer.status_code == 200
    assert calls == ["GET", "GET", "GET"]
    await up.aclose()


async def test_post_is_never_retried() -> None:
    calls: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        raise httpx.ConnectError("refused", request=request)

    up = upstream(httpx.MockTransport(handle))
    with pytest.raises(ApiError) as err:
        await up.call("auth", "POST", "/auth/register", json={"email": "a@b.c"})
    assert err.value.status == 503
    assert calls == ["POST"]
    await up.aclose()


async def test_timeouts_answer_504() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    up = upstream(httpx.MockTransport(handle), retries=1)
    with pytest.raises(ApiError) as err:
        await up.call("auth", "GET", "/users/me")
    assert err.value.status == 504
    await up.aclose()


async def test_request_id_and_json_body_are_forwarded() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={"ok": True})

    up = upstream(httpx.MockTransport(handle))
    from decimal import Decimal

    from shared.observability import request_id_var

    token = request_id_var.set("rid-42")
    try:
        await up.call("auth", "POST", "/x", json={"amount": Decimal("42.10")})
    finally:
        request_id_var.reset(token)
    assert seen[0].headers["x-request-id"] == "rid-42"
    assert seen[0].content == b'{"amount":42.10}'
    await up.aclose()
