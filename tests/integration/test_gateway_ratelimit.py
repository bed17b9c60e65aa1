"""Gateway rate limiting against a real Redis, through the full installed middleware stack."""

from __future__ import annotations

import base64
import datetime as dt
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from fastapi import APIRouter, FastAPI

from services.gateway import ratelimit
from services.gateway.middleware import install_middleware
from services.gateway.settings import GatewaySettings
from shared import tokens
from shared.api import install_error_handlers, ok
from shared.service import build_app
from shared.settings import INSECURE_SECRET, MitaSettings

LIMIT = 5
AUTH_LIMIT = 2
ClientFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


def router() -> APIRouter:
    """A few API routes to limit."""
    api = APIRouter()

    @api.get("/api/items")
    async def items() -> Any:
        return ok([])

    @api.post("/api/auth/login")
    async def login() -> Any:
        return ok({"access_token": "x"})

    return api


@pytest.fixture
def gw_settings(settings: MitaSettings) -> GatewaySettings:
    """Gateway settings in this test's namespace (its topic prefix keys the counters)."""
    gw = GatewaySettings.namespaced(
        settings.topic_prefix,
        settings.database_url,
        settings.kafka_bootstrap,
        settings.redis_url,
        rate_limit_per_minute=LIMIT,
        auth_rate_limit_per_minute=AUTH_LIMIT,
        metrics_token="integration-scrape",
    )
    assert isinstance(gw, GatewaySettings)
    return gw


@pytest.fixture
async def redis_client(gw_settings: GatewaySettings) -> AsyncIterator[aioredis.Redis]:
    """A client of the test Redis; this test's counters are deleted afterwards."""
    client = aioredis.Redis.from_url(gw_settings.redis_url)
    yield client
    async for key in client.scan_iter(match=f"{gw_settings.topic_prefix}:*"):
        await client.delete(key)
    await client.aclose()


def gateway(gw_settings: GatewaySettings, redis: aioredis.Redis) -> FastAPI:
    """A service app like the gateway's, with the middleware installed."""
    app = build_app(gw_settings, "gateway", routers=(router(),))
    install_error_handlers(app)
    install_middleware(app, gw_settings, redis)
    return app


def client_factory(app: FastAPI) -> ClientFactory:
    """Open clients of ``app`` that appear to come from a given IP."""

    @asynccontextmanager
    async def open_client(ip: str = "10.0.0.1") -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=app, client=(ip, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            yield client

    return open_client


@pytest.fixture
def open_client(gw_settings: GatewaySettings, redis_client: aioredis.Redis) -> ClientFactory:
    """Clients of a gateway app backed by the real Redis."""
    return client_factory(gateway(gw_settings, redis_client))


def bearer(user_id: uuid.UUID, secret: str = INSECURE_SECRET) -> dict[str, str]:
    """An Authorization header with an access token of ``user_id`` (gateway's secret)."""
    token, _ = tokens.issue(
        secret,
        user_id=user_id,
        typ="access",
        ttl=dt.timedelta(minutes=5),
        token_version=0,
        scopes=tokens.USER_SCOPES,
    )
    return {"Authorization": f"Bearer {token}"}


def assert_429(response: httpx.Response, limit: int) -> None:
    """A rate-limited answer: envelope, Retry-After, limit headers, security headers."""
    assert response.status_code == 429
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == "rate_limited"
    assert body["error"]["details"]["limit"] == limit
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= 60
    assert body["error"]["details"]["retry_after"] == retry_after
    assert response.headers["x-ratelimit-limit"] == str(limit)
    assert response.headers["x-ratelimit-remaining"] == "0"
    assert "strict-transport-security" in response.headers
    assert response.headers["x-request-id"]


async def test_burst_gets_429_with_retry_after(
    open_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    async with open_client() as client:
        remaining = []
        for _ in range(LIMIT):
            response = await client.get("/api/items")
            assert response.status_code == 200
            assert response.headers["x-ratelimit-limit"] == str(LIMIT)
            remaining.append(int(response.headers["x-ratelimit-remaining"]))
        assert remaining == [4, 3, 2, 1, 0]
        with caplog.at_level(logging.INFO, logger="mita.audit"):
            for _ in range(3):
                assert_429(await client.get("/api/items"), LIMIT)
    audits = [r.getMessage() for r in caplog.records if r.name == "mita.audit"]
    assert len(audits) == 1  # audited once per window, not per refused request
    assert '"ratelimit.exceeded"' in audits[0]
    assert "Bearer" not in audits[0]


async def test_retry_after_follows_the_window(
    open_client: ClientFactory, redis_client: aioredis.Redis, gw_settings: GatewaySettings
) -> None:
    key = f"{gw_settings.topic_prefix}:ratelimit:api:ip:10.0.0.9"
    await redis_client.set(key, LIMIT, px=7_500)
    async with open_client("10.0.0.9") as client:
        response = await client.get("/api/items")
    assert_429(response, LIMIT)
    assert response.headers["retry-after"] == "8"
    assert 0 < await redis_client.pttl(key) <= 7_500  # a denied hit never extends the window


async def test_window_gets_an_expiry(
    open_client: ClientFactory, redis_client: aioredis.Redis, gw_settings: GatewaySettings
) -> None:
    async with open_client("10.0.0.8") as client:
        await client.get("/api/items")
    key = f"{gw_settings.topic_prefix}:ratelimit:api:ip:10.0.0.8"
    assert await redis_client.get(key) == b"1"
    assert 58_000 < await redis_client.pttl(key) <= 60_000


async def test_auth_bucket_is_stricter_and_per_ip(open_client: ClientFactory) -> None:
    async with open_client() as client:
        for _ in range(AUTH_LIMIT):
            assert (await client.post("/api/auth/login")).status_code == 200
        # A bearer does not move auth requests out of the IP's bucket.
        other_user = bearer(uuid.uuid4())
        assert_429(await client.post("/api/auth/login", headers=other_user), AUTH_LIMIT)
        assert_429(await client.post("/api/auth/login"), AUTH_LIMIT)
        # The general bucket of the same IP is separate and larger.
        response = await client.get("/api/items")
        assert response.status_code == 200
        assert response.headers["x-ratelimit-limit"] == str(LIMIT)
    async with open_client("10.0.0.2") as elsewhere:
        assert (await elsewhere.post("/api/auth/login")).status_code == 200


async def test_users_and_ips_have_separate_buckets(open_client: ClientFactory) -> None:
    alice, bob = bearer(uuid.uuid4()), bearer(uuid.uuid4())
    async with open_client() as client:
        for _ in range(LIMIT):
            assert (await client.get("/api/items", headers=alice)).status_code == 200
        assert_429(await client.get("/api/items", headers=alice), LIMIT)
        # Same IP, another user, and the anonymous IP bucket are all untouched.
        assert (await client.get("/api/items", headers=bob)).status_code == 200
        assert (await client.get("/api/items")).status_code == 200
        for _ in range(LIMIT - 1):
            assert (await client.get("/api/items")).status_code == 200
        assert_429(await client.get("/api/items"), LIMIT)
        # A malformed bearer falls back to the IP bucket.
        broken = {"Authorization": "Bearer not-a-jwt"}
        assert_429(await client.get("/api/items", headers=broken), LIMIT)
    async with open_client("10.0.0.3") as other_ip:
        assert (await other_ip.get("/api/items")).status_code == 200
    async with open_client("10.0.0.4") as alice_elsewhere:
        assert_429(await alice_elsewhere.get("/api/items", headers=alice), LIMIT)


async def test_exempt_paths_are_never_limited(open_client: ClientFactory) -> None:
    async with open_client() as client:
        for _ in range(LIMIT * 2):
            health = await client.get("/health")
            assert health.status_code == 200
            assert "x-ratelimit-limit" not in health.headers
            assert (await client.get("/")).status_code == 404  # unrouted here, yet not limited
            assert (await client.get("/metrics")).status_code == 401
            assert (await client.get("/ready")).status_code in (200, 503)
        scrape = {"Authorization": "Bearer integration-scrape"}
        assert (await client.get("/metrics", headers=scrape)).status_code == 200


async def test_forwarded_for_only_when_trusted(
    open_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    spoof = {"X-Forwarded-For": "203.0.113.7, 10.0.0.1"}
    async with open_client() as client:
        for _ in range(AUTH_LIMIT):
            assert (await client.post("/api/auth/login", headers=spoof)).status_code == 200
        # Untrusted: the header was ignored, the peer's bucket is spent.
        assert_429(await client.post("/api/auth/login"), AUTH_LIMIT)
        monkeypatch.setattr(ratelimit, "TRUST_FORWARDED", True)
        assert (await client.post("/api/auth/login", headers=spoof)).status_code == 200


async def test_redis_down_auth_fails_closed_others_open(
    gw_settings: GatewaySettings, caplog: pytest.LogCaptureFixture
) -> None:
    dead = aioredis.Redis.from_url("redis://127.0.0.1:1/0")
    open_client = client_factory(gateway(gw_settings, dead))
    try:
        async with open_client() as client:
            with caplog.at_level(logging.WARNING):
                login = await client.post("/api/auth/login")
                items = await client.get("/api/items")
    finally:
        await dead.aclose()
    assert login.status_code == 503
    body = login.json()
    assert body["success"] is False
    assert body["error"]["code"] == "service_unavailable"
    assert login.headers["retry-after"]
    assert "strict-transport-security" in login.headers
    assert items.status_code == 200
    assert "x-ratelimit-limit" not in items.headers
    warnings = [r for r in caplog.records if r.name == "mita.gateway.ratelimit"]
    assert warnings
    assert all(r.levelno == logging.WARNING for r in warnings)
    assert any('"ratelimit.unavailable"' in r.getMessage() for r in caplog.records)


async def test_hostile_bearers_fall_back_to_the_ip_bucket(
    open_client: ClientFactory, redis_client: aioredis.Redis, gw_settings: GatewaySettings
) -> None:
    deep = base64.urlsafe_b64encode(b"[" * 3000 + b"]" * 3000).decode().rstrip("=")
    hostile = [f"a.{deep}.c", "a.//8.c", "a.bnVsbA.c", "a.eyJzdWIiOiAieCJ9.c", "x" * 9000]
    async with open_client("10.0.0.7") as client:
        for token in hostile:
            response = await client.get("/api/items", headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 200
    key = f"{gw_settings.topic_prefix}:ratelimit:api:ip:10.0.0.7"
    assert await redis_client.get(key) == str(len(hostile)).encode()


async def test_forged_tokens_cannot_invent_users(
    open_client: ClientFactory, redis_client: aioredis.Redis, gw_settings: GatewaySettings
) -> None:
    """A token signed with another key is counted by IP: a new fake user per call can't help."""
    async with open_client("10.0.0.9") as client:
        for _ in range(3):
            forged = bearer(uuid.uuid4(), secret="x" * 40)
            assert (await client.get("/api/items", headers=forged)).status_code == 200
    key = f"{gw_settings.topic_prefix}:ratelimit:api:ip:10.0.0.9"
    assert await redis_client.get(key) == b"3"
