"""OWASP API Top 10 through the gateway: unrestricted resource consumption (API4).

Body size and admin paging limits run on the shared ``limits`` stack (small body limit);
rate limits run on the ``limited`` stack (tight per-IP and per-user limits), each test from
its own client address so its buckets are its own.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from tests.conftest import Infra
from tests.e2e.conftest import Stack, open_stack
from tests.e2e.owasp_support import (
    BODY_LIMIT,
    JSON,
    Limits,
    assert_error,
    assert_secured,
    forge,
    open_limits,
    register_direct,
)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def limits(infra: Infra) -> AsyncIterator[Limits]:
    """Shared by the tests that do not exhaust a rate limit."""
    async with open_limits(infra) as shared:
        yield shared


@contextlib.asynccontextmanager
async def client_from(stack: Stack, ip: str) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway client from its own address (its own per-IP buckets)."""
    transport = httpx.ASGITransport(stack.gateway, client=(ip, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def test_huge_body_is_413_declared_or_streamed(limits: Limits) -> None:
    """Over the body limit → 413 envelope, by Content-Length and by bytes actually streamed."""
    client = limits.stack.client
    big = {"email": "a@example.com", "password": "p" * (BODY_LIMIT * 2)}
    declared = await client.post("/api/auth/register", json=big)
    assert assert_error(declared, 413)["error"]["details"] == {"limit": BODY_LIMIT}
    assert_secured(declared)

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(8):
            yield b" " * 1024

    streamed = await client.post(
        "/api/auth/login", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert_error(streamed, 413)
    patched = await client.patch(
        "/api/users/me", json={"name": "x" * 4096}, headers=limits.stack.bearer("a.b.c")
    )
    assert_error(patched, 413)
    small = await client.post("/api/auth/login", json={"email": "a@example.com", "password": "p"})
    assert_error(small, 401, "invalid_credentials")


@pytest.mark.parametrize(
    ("limit", "expected"), [("100000", 100), ("0", 1), ("-7", 1), ("100", 100), ("1", 1)]
)
async def test_admin_page_size_is_clamped(limits: Limits, limit: str, expected: int) -> None:
    """/api/admin/users clamps the page size to 1..100."""
    stack = limits.stack
    answer = await stack.client.get(
        "/api/admin/users", params={"limit": limit}, headers=stack.bearer(limits.admin_token)
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["meta"]["limit"] == expected
    assert len(body["data"]) <= expected


@pytest.mark.parametrize("params", [{"offset": "-1"}, {"offset": "99999999999"}, {"limit": "x"}])
async def test_admin_page_bounds_are_validated(limits: Limits, params: JSON) -> None:
    """Out-of-range or non-integer paging → 422, never a 500."""
    stack = limits.stack
    answer = await stack.client.get(
        "/api/admin/users", params=params, headers=stack.bearer(limits.admin_token)
    )
    assert_error(answer, 422)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def limited(infra: Infra) -> AsyncIterator[Stack]:
    """Tight limits: 3/min per IP on /api/auth, 5/min per user or IP elsewhere."""
    async with open_stack(infra, auth_rate_limit_per_minute=3, rate_limit_per_minute=5) as stack:
        yield stack


async def test_auth_burst_is_rate_limited_per_ip(limited: Stack) -> None:
    """The 4th auth call in a minute from one IP → 429 with Retry-After; another IP is served."""
    login = {"email": "nobody@example.com", "password": "wrong password"}
    async with client_from(limited, "198.51.100.1") as client:
        for _ in range(3):
            assert_error(
                await client.post("/api/auth/login", json=login), 401, "invalid_credentials"
            )
        burst = await client.post("/api/auth/login", json=login)
        body = assert_error(burst, 429)
        assert body["error"]["details"]["limit"] == 3
        assert_secured(burst)
    async with client_from(limited, "198.51.100.2") as other:
        assert_error(await other.post("/api/auth/login", json=login), 401, "invalid_credentials")


async def test_api_burst_is_rate_limited_per_user(limited: Stack) -> None:
    """The 6th call in a minute by one user → 429; another user on the same IP is served."""
    first, second = await register_direct(limited), await register_direct(limited)
    async with client_from(limited, "198.51.100.3") as client:
        for remaining in range(4, -1, -1):
            ok = await client.get("/api/users/me", headers=limited.bearer(first["access_token"]))
            assert ok.status_code == 200, ok.text
            assert ok.headers["x-ratelimit-remaining"] == str(remaining)
        burst = await client.get("/api/users/me", headers=limited.bearer(first["access_token"]))
        assert_error(burst, 429)
        assert burst.headers["x-ratelimit-limit"] == "5"
        other = await client.get("/api/users/me", headers=limited.bearer(second["access_token"]))
        assert other.status_code == 200, other.text


async def test_forged_tokens_cannot_exhaust_a_victims_quota(limited: Stack) -> None:
    """An attacker's unsigned tokens naming the victim must not spend the victim's budget."""
    victim = await register_direct(limited)
    forged = forge(limited, victim["access_token"]).split(".")
    unsigned = f"{forged[0]}.{forged[1]}.AAAA"
    async with client_from(limited, "198.51.100.4") as attacker:
        for _ in range(6):
            answer = await attacker.get("/api/users/me", headers=limited.bearer(unsigned))
            assert answer.status_code in (401, 429), answer.text
    async with client_from(limited, "198.51.100.5") as phone:
        answer = await phone.get("/api/users/me", headers=limited.bearer(victim["access_token"]))
    assert answer.status_code == 200, answer.text


async def test_rotating_forged_subjects_do_not_bypass_the_ip_limit(limited: Stack) -> None:
    """Invalid tokens with a new random sub each time still count against the caller's IP."""
    template = (await register_direct(limited))["access_token"]
    async with client_from(limited, "198.51.100.6") as attacker:
        statuses = []
        for _ in range(8):
            head, body, _ = forge(limited, template, sub=str(uuid.uuid4())).split(".")
            answer = await attacker.get("/api/users/me", headers=limited.bearer(f"{head}.{body}.x"))
            statuses.append(answer.status_code)
    assert 429 in statuses, statuses
