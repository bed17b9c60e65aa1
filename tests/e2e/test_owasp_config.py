"""OWASP API Top 10 through the gateway: security misconfiguration (API8) and fail-closed
revocation.

Upstream failures run on a bare gateway over a mock upstream (``gateway_over``); CORS, security
headers, envelopes, metrics and docs on the shared ``limits`` stack; fail-closed revocation on a
stack whose gateway alone has a dead Redis (``open_stack(gateway_redis_url=...)``).
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from contracts.ops import PARQUET
from services.gateway.main import create_app as create_gateway
from services.gateway.openapi_dump import document, render
from services.gateway.settings import GatewaySettings
from tests.conftest import Infra
from tests.e2e.conftest import STRONG_PASSWORD, open_stack, running, stack_settings
from tests.e2e.owasp_support import (
    FILE_ROUTES,
    METRICS_TOKEN,
    PUBLIC,
    ROUTE_ACCESS,
    Limits,
    assert_error,
    assert_secured,
    open_limits,
    operations,
    register_direct,
)

LISTED_ORIGIN = "http://localhost:3000"
REPO = Path(__file__).resolve().parents[2]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def limits(infra: Infra) -> AsyncIterator[Limits]:
    """One stack with a metrics token and an admin, shared by the tests that need no fault."""
    async with open_limits(infra) as shared:
        yield shared


@contextlib.asynccontextmanager
async def gateway_over(
    infra: Infra, handler: Callable[[httpx.Request], httpx.Response]
) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway whose auth upstream is ``handler``; app errors come back as responses."""
    _, settings = stack_settings(infra, upstream_retries=0)
    app = create_gateway(settings, transports={"auth": httpx.MockTransport(handler)})
    transport = httpx.ASGITransport(app, raise_app_exceptions=False, client=("192.0.2.1", 1))
    async with (
        running(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
    ):
        yield client


LOGIN = {"email": "a@example.com", "password": "some password"}


def unreachable(request: httpx.Request) -> httpx.Response:
    """An upstream that refuses connections."""
    raise httpx.ConnectError(
        "connect to 10.0.0.9:8001 refused: secret-internal-host", request=request
    )


def crashing(request: httpx.Request) -> httpx.Response:
    """A bug in the gateway's path (an exception nobody anticipated)."""
    raise RuntimeError('Traceback: File "/srv/mita/secret_internal.py", line 1')


async def test_upstream_down_is_a_503_envelope_without_internals(infra: Infra) -> None:
    """Connection refused upstream → 503 envelope; no hosts, exception text or traceback."""
    async with gateway_over(infra, unreachable) as client:
        for answer in (
            await client.post("/api/auth/login", json=LOGIN),
            await client.get("/api/auth/verify-reset-token", params={"token": "t"}),
        ):
            assert_error(answer, 503)
            assert "secret-internal-host" not in answer.text
            assert "10.0.0.9" not in answer.text
            assert_secured(answer)


async def test_unexpected_crash_is_a_plain_500_envelope(infra: Infra) -> None:
    """An unhandled exception → generic 500 envelope with security headers, no traceback."""
    async with gateway_over(infra, crashing) as client:
        answer = await client.post("/api/auth/login", json=LOGIN)
    body = assert_error(answer, 500)
    assert body["detail"] == "Internal server error"
    assert "secret_internal" not in answer.text
    assert_secured(answer)


async def test_upstream_error_body_is_never_relayed_raw(infra: Infra) -> None:
    """An upstream 5xx that is not our envelope (e.g. a server's default page) is not relayed."""

    def raw_500(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, text='Traceback (most recent call last):\n  File "x.py"')

    async with gateway_over(infra, raw_500) as client:
        answer = await client.post("/api/auth/login", json=LOGIN)
    assert answer.status_code >= 500
    assert "Traceback" not in answer.text
    assert answer.json()["success"] is False


async def test_cors_never_reflects_unlisted_origins(limits: Limits) -> None:
    """Preflight from an unlisted origin: no allow-origin; from a listed one: exactly it."""
    client = limits.stack.client
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization",
    }
    evil = await client.options(
        "/api/auth/login", headers={"Origin": "https://evil.example", **preflight}
    )
    assert "access-control-allow-origin" not in evil.headers
    simple = await client.get("/api/users/me", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in simple.headers
    listed = await client.options("/api/auth/login", headers={"Origin": LISTED_ORIGIN, **preflight})
    assert listed.status_code == 200
    assert listed.headers["access-control-allow-origin"] == LISTED_ORIGIN
    assert listed.headers["access-control-allow-credentials"] == "true"
    assert "*" not in listed.headers.get("access-control-allow-methods", "")
    actual = await client.get("/", headers={"Origin": LISTED_ORIGIN})
    assert actual.headers["access-control-allow-origin"] == LISTED_ORIGIN


async def test_refused_preflight_is_an_envelope(limits: Limits) -> None:
    """Even a refused preflight is a JSON error envelope."""
    answer = await limits.stack.client.options(
        "/api/auth/login",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert_error(answer, 400, "cors_refused")


def test_wildcard_cors_origin_is_refused_at_startup(infra: Infra) -> None:
    """``*`` with credentials is a misconfiguration the gateway refuses to start with."""
    _, settings = stack_settings(infra)
    wildcard = settings.model_copy(update={"cors_origins": ["*"]})
    assert isinstance(wildcard, GatewaySettings)
    with pytest.raises(ValueError, match="never"):
        create_gateway(wildcard)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/", 200),
        ("GET", "/api/users/me", 401),
        ("GET", "/api/no-such-route", 404),
        ("GET", "/no-such-route", 404),
        ("POST", "/api/auth/nope", 404),
        ("PUT", "/api/users/me", 405),
    ],
)
async def test_security_headers_and_envelopes(
    limits: Limits, method: str, path: str, status: int
) -> None:
    """Security headers on success, 4xx and 404; every error is the envelope (no internals)."""
    answer = await limits.stack.client.request(method, path)
    assert answer.status_code == status, answer.text
    assert_secured(answer)
    if status >= 400:
        assert_error(answer, status)
    if path.startswith("/api"):
        assert answer.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("POST", "/api/auth/login/", 401),
        ("GET", "/api/users/me/", 401),
        ("GET", "/api/auth/security-status/", 401),
        ("GET", "/api/admin/users/", 401),
        ("POST", "/api/auth/forgot-password/", 200),
    ],
)
async def test_trailing_slash_answers_directly(
    limits: Limits, method: str, path: str, status: int
) -> None:
    """``/x/`` answers like ``/x`` — never a 307 the app would not follow for a POST."""
    body = LOGIN if method == "POST" else None
    answer = await limits.stack.client.request(method, path, json=body)
    assert answer.status_code == status, answer.text
    assert "location" not in answer.headers


@pytest.mark.parametrize(
    ("content", "content_type", "status", "code"),
    [
        (b'{"email": "a@example.com", "password":', "application/json", 400, "malformed_json"),
        (b"\xff\xfe{}", "application/json", 400, "malformed_json"),
        (b"[" * 1000 + b"]" * 1000, "application/json", 400, "bad_request"),
        (b'["a@example.com", "pw"]', "application/json", 422, "validation_error"),
        (b"email=a@example.com&password=pw", "application/x-www-form-urlencoded", 422, None),
        (b"", "application/json", 422, "validation_error"),
    ],
    ids=["truncated", "not-utf8", "deeply-nested", "array", "form", "empty"],
)
async def test_malformed_bodies_are_client_errors(
    limits: Limits, content: bytes, content_type: str, status: int, code: str | None
) -> None:
    """Broken or wrong-shaped bodies → 400/422 envelope, never a 500."""
    answer = await limits.stack.client.post(
        "/api/auth/login", content=content, headers={"Content-Type": content_type}
    )
    assert_error(answer, status, code)


async def test_metrics_need_the_metrics_token(limits: Limits) -> None:
    """/metrics: no token or a user's JWT → 401 envelope; the metrics token → 200."""
    client = limits.stack.client
    assert_error(await client.get("/metrics"), 401)
    assert_error(await client.get("/metrics", headers=limits.stack.bearer(limits.admin_token)), 401)
    scraped = await client.get("/metrics", headers=limits.stack.bearer(METRICS_TOKEN))
    assert scraped.status_code == 200
    assert "mita_http_requests" in scraped.text


# Routes that answer an image, not an envelope.
IMAGE_ROUTES = {("GET", "/api/transactions/receipt/{receipt_id}/image/file")}
#: Routes the app expects to answer 204 No Content (mobile-api.md: installments' DELETE).
NO_CONTENT_ROUTES = {("DELETE", "/api/installments/{installment_id}")}


async def test_docs_and_openapi_publish_only_public_routes(limits: Limits) -> None:
    """/docs → 200; /openapi.json lists every public route and no internal one."""
    client = limits.stack.client
    docs = await client.get("/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
    schema = (await client.get("/openapi.json")).json()
    assert operations(schema) == set(ROUTE_ACCESS)
    assert not [p for p in schema["paths"] if "internal" in p]
    # Every guarded operation says so (bearer, 401, 403); public ones ask for no token.
    for (method, path), access in ROUTE_ACCESS.items():
        operation = schema["paths"][path][method.lower()]
        guarded = access != PUBLIC
        assert ("security" in operation) is guarded, (method, path)
        assert ("401" in operation["responses"]) is guarded, (method, path)
        code, success = next(
            (code, r) for code, r in operation["responses"].items() if code.startswith("2")
        )
        if (method, path) in NO_CONTENT_ROUTES:
            assert code == "204", (method, path)
            assert "content" not in success, (method, path)
            continue
        if (method, path) in IMAGE_ROUTES:
            assert set(success["content"]) == {"image/jpeg", "image/png"}, (method, path)
            continue
        if (method, path) in FILE_ROUTES:
            assert set(success["content"]) == {"application/x-ndjson", PARQUET}, (method, path)
            continue
        assert success["content"]["application/json"]["schema"], (method, path)  # typed data
    # The committed contract (docs/openapi.json, `make openapi`) is the one served.
    committed = json.loads((REPO / "docs" / "openapi.json").read_text(encoding="utf-8"))
    assert committed == json.loads(render(document()))
    assert committed["paths"] == schema["paths"]
    user = uuid.uuid4()
    for path in (f"/internal/token-version/{user}", f"/api/internal/token-version/{user}"):
        assert_error(await client.get(path), 404)


# -- Revocation fails closed -----------------------------------------------------------------


async def test_revocation_store_down_fails_closed(infra: Infra) -> None:
    """Gateway Redis unreachable: a valid token → 503 (never 2xx); auth calls → 503 too."""
    async with open_stack(infra, gateway_redis_url="redis://127.0.0.1:1/0") as stack:
        user = await register_direct(stack)
        headers = stack.bearer(user["access_token"])
        for answer in (
            await stack.client.get("/api/users/me", headers=headers),
            await stack.client.patch("/api/users/me", json={"name": "x"}, headers=headers),
            await stack.client.get("/api/admin/users", headers=headers),
        ):
            assert_error(answer, 503)
        login = {"email": "x@example.com", "password": STRONG_PASSWORD}
        for answer in (
            await stack.client.post("/api/auth/login", json=login),
            await stack.client.post("/api/auth/logout", json={}, headers=headers),
        ):
            assert_error(answer, 503)
            assert int(answer.headers["retry-after"]) > 0
