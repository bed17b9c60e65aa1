"""TokenService, RevocationStore, LoginThrottle and Authenticator against a real Redis."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from starlette.requests import Request

from services.auth.throttle import LoginThrottle, Throttled
from services.auth.tokens import RefreshRejected, TokenPair, TokenService
from shared import tokens
from shared.api import ApiError
from shared.identity import Authenticator
from shared.revocation import RevocationStore, RevocationUnavailable
from shared.settings import MitaSettings

SECRET = "integration-secret-" + "z" * 48
DOWN_URL = "redis://127.0.0.1:1/0"
REFRESH_TTL = dt.timedelta(hours=1)


@pytest.fixture
async def client(settings: MitaSettings) -> AsyncIterator[aioredis.Redis]:
    """A client of the test Redis; this test's keys are deleted afterwards."""
    redis = aioredis.Redis.from_url(settings.redis_url)
    yield redis
    async for key in redis.scan_iter(match=f"{settings.topic_prefix}:*"):
        await redis.delete(key)
    await redis.aclose()


@pytest.fixture
async def down() -> AsyncIterator[aioredis.Redis]:
    """A client of a Redis that is not there."""
    redis = aioredis.Redis.from_url(DOWN_URL, socket_connect_timeout=1, socket_timeout=1)
    yield redis
    await redis.aclose()


def service_on(redis: aioredis.Redis, settings: MitaSettings) -> TokenService:
    """A token service namespaced to this test."""
    return TokenService(
        redis,
        SECRET,
        access_ttl=dt.timedelta(minutes=5),
        refresh_ttl=REFRESH_TTL,
        prefix=settings.redis_prefix("auth"),
    )


@pytest.fixture
def service(client: aioredis.Redis, settings: MitaSettings) -> TokenService:
    """The token service on the real Redis."""
    return service_on(client, settings)


async def state(client: aioredis.Redis, service: TokenService, *parts: str) -> bytes | None:
    """The raw value of one of the service's keys."""
    value = await client.get(":".join((service.prefix, *parts)))
    assert value is None or isinstance(value, bytes)
    return value


async def test_issue_stores_family_refresh_and_version(
    service: TokenService, client: aioredis.Redis
) -> None:
    user = uuid.uuid4()
    pair = await service.issue(user, token_version=2, scopes=tokens.USER_SCOPES)
    fam = pair.refresh.fam
    assert fam is not None
    assert pair.access.fam == fam
    assert tokens.verify(SECRET, pair.access_token, "access") == pair.access
    assert tokens.verify(SECRET, pair.refresh_token, "refresh") == pair.refresh
    assert await state(client, service, "family", fam) == str(user).encode()
    assert await state(client, service, "refresh", pair.refresh.jti) == b"live"
    assert 3500 < await client.ttl(f"{service.prefix}:family:{fam}") <= 3600
    assert await service.revocation.token_version(user) == 2
    other = await service.issue(user, token_version=2, scopes=())
    assert other.refresh.fam != fam


async def test_rotate_then_reuse_revokes_the_family(
    service: TokenService, client: aioredis.Redis
) -> None:
    user = uuid.uuid4()
    first = await service.issue(user, token_version=0, scopes=("read:profile",))
    second = await service.rotate(first.refresh_token, current_version=0)
    assert second.refresh.fam == first.refresh.fam
    assert second.refresh.jti != first.refresh.jti
    assert second.access.scopes == ("read:profile",)
    assert second.access.sub == user
    assert await state(client, service, "refresh", first.refresh.jti) == b"used"
    assert await state(client, service, "refresh", second.refresh.jti) == b"live"
    with pytest.raises(RefreshRejected, match="reuse"):
        await service.rotate(first.refresh_token, current_version=0)
    assert first.refresh.fam is not None
    assert await state(client, service, "family", first.refresh.fam) == b"revoked"
    with pytest.raises(RefreshRejected, match="revoked"):
        await service.rotate(second.refresh_token, current_version=0)


async def test_concurrent_rotations_of_one_token_let_exactly_one_win(
    service: TokenService,
) -> None:
    pair = await service.issue(uuid.uuid4(), token_version=0, scopes=())
    results = await asyncio.gather(
        *(service.rotate(pair.refresh_token, current_version=0) for _ in range(5)),
        return_exceptions=True,
    )
    winners = [r for r in results if isinstance(r, TokenPair)]
    losers = [r for r in results if isinstance(r, RefreshRejected)]
    assert (len(winners), len(losers)) == (1, 4)
    # The losers look like a replay: the family is revoked, the winner's token too.
    with pytest.raises(RefreshRejected, match="revoked"):
        await service.rotate(winners[0].refresh_token, current_version=0)


async def test_revoke_family_kills_its_refresh_tokens(service: TokenService) -> None:
    user = uuid.uuid4()
    pair = await service.issue(user, token_version=0, scopes=())
    untouched = await service.issue(user, token_version=0, scopes=())
    assert pair.refresh.fam is not None
    await service.revoke_family(pair.refresh.fam)
    with pytest.raises(RefreshRejected, match="revoked"):
        await service.rotate(pair.refresh_token, current_version=0)
    assert (await service.rotate(untouched.refresh_token, current_version=0)).refresh.fam == (
        untouched.refresh.fam
    )


async def test_rotate_refuses_bad_unknown_and_familyless_tokens(
    service: TokenService, client: aioredis.Redis
) -> None:
    user = uuid.uuid4()
    pair = await service.issue(user, token_version=0, scopes=())
    with pytest.raises(RefreshRejected):
        await service.rotate(pair.access_token, current_version=0)
    with pytest.raises(RefreshRejected):
        await service.rotate("garbage", current_version=0)
    stray, _ = tokens.issue(
        SECRET,
        user_id=user,
        typ="refresh",
        ttl=REFRESH_TTL,
        token_version=0,
        scopes=(),
        family=pair.refresh.fam,
    )
    with pytest.raises(RefreshRejected, match="unknown"):
        await service.rotate(stray, current_version=0)
    assert pair.refresh.fam is not None
    await client.delete(f"{service.prefix}:family:{pair.refresh.fam}")  # family expired
    with pytest.raises(RefreshRejected, match="revoked"):
        await service.rotate(pair.refresh_token, current_version=0)


async def test_outdated_token_version_is_rejected_without_spending(
    service: TokenService, client: aioredis.Redis
) -> None:
    user = uuid.uuid4()
    pair = await service.issue(user, token_version=1, scopes=())
    with pytest.raises(RefreshRejected, match="outdated"):
        await service.rotate(pair.refresh_token, current_version=2)
    assert await state(client, service, "refresh", pair.refresh.jti) == b"live"
    rotated = await service.rotate(pair.refresh_token, current_version=1)
    assert rotated.access.tv == rotated.refresh.tv == 1


async def test_token_version_is_never_lowered(service: TokenService) -> None:
    user = uuid.uuid4()
    store = service.revocation
    assert await store.token_version(user) is None
    await service.publish_version(user, 5)
    await store.set_token_version(user, 3)
    assert await store.token_version(user) == 5
    await service.issue(user, token_version=1, scopes=())
    assert await store.token_version(user) == 5
    await store.set_token_version(user, 7)
    assert await store.token_version(user) == 7
    assert await store.token_version(uuid.uuid4()) is None


async def test_revoke_access_deny_lists_until_expiry(
    service: TokenService, client: aioredis.Redis
) -> None:
    pair = await service.issue(uuid.uuid4(), token_version=0, scopes=())
    store = RevocationStore(client, service.prefix)
    assert await store.is_denied(pair.access.jti) is False
    await service.revoke_access(pair.access)
    assert await store.is_denied(pair.access.jti) is True
    assert await store.is_denied(pair.refresh.jti) is False
    ttl = await client.ttl(f"{service.prefix}:denied:{pair.access.jti}")
    assert 0 < ttl <= 300


async def test_redis_down_fails_closed(
    service: TokenService, down: aioredis.Redis, settings: MitaSettings
) -> None:
    user = uuid.uuid4()
    pair = await service.issue(user, token_version=0, scopes=())
    broken = service_on(down, settings)
    with pytest.raises(RevocationUnavailable):
        await broken.issue(user, token_version=0, scopes=())
    with pytest.raises(RevocationUnavailable):
        await broken.rotate(pair.refresh_token, current_version=0)
    assert pair.refresh.fam is not None
    with pytest.raises(RevocationUnavailable):
        await broken.revoke_family(pair.refresh.fam)
    with pytest.raises(RevocationUnavailable):
        await broken.revoke_access(pair.access)
    with pytest.raises(RevocationUnavailable):
        await broken.publish_version(user, 1)
    with pytest.raises(RevocationUnavailable):
        await broken.revocation.is_denied(pair.access.jti)
    with pytest.raises(RevocationUnavailable):
        await broken.revocation.token_version(user)


def throttle_on(redis: aioredis.Redis, settings: MitaSettings) -> LoginThrottle:
    """3 failures per account, 5 per IP, in a 60 s window."""
    return LoginThrottle(
        redis, per_account=3, per_ip=5, window_seconds=60, prefix=settings.redis_prefix("thr")
    )


async def test_throttle_per_account(client: aioredis.Redis, settings: MitaSettings) -> None:
    throttle = throttle_on(client, settings)
    await throttle.check("ann@example.com", "10.0.0.1")
    for ip in ("10.0.0.1", "10.0.0.2", None):
        await throttle.failed("ann@example.com", ip)
    with pytest.raises(Throttled) as info:
        await throttle.check(" ANN@example.com", "10.0.0.9")
    assert 1 <= info.value.retry_after <= 60
    assert str(info.value.retry_after) in str(info.value)
    await throttle.check("bob@example.com", "10.0.0.1")  # other accounts are unaffected
    keys = [k.decode() async for k in client.scan_iter(match=f"{throttle.prefix}:*")]
    assert len(keys) == 4  # one account, three IP buckets
    assert not any("@" in k for k in keys)  # the email is never stored in clear
    assert f"{throttle.prefix}:ip:unknown" in keys
    await throttle.succeeded("ann@example.com")
    await throttle.check("ann@example.com", "10.0.0.1")
    assert await client.get(f"{throttle.prefix}:ip:10.0.0.1") == b"1"  # IP count kept


async def test_throttle_per_ip(client: aioredis.Redis, settings: MitaSettings) -> None:
    throttle = throttle_on(client, settings)
    for n in range(5):
        await throttle.failed(f"user{n}@example.com", "10.1.1.1")
    with pytest.raises(Throttled) as info:
        await throttle.check("fresh@example.com", "10.1.1.1")
    assert 1 <= info.value.retry_after <= 60
    await throttle.check("fresh@example.com", "10.1.1.2")
    await throttle.succeeded("user0@example.com")  # does not clear the IP
    with pytest.raises(Throttled):
        await throttle.check("user0@example.com", "10.1.1.1")


async def test_throttle_window_is_not_extended_by_new_failures(
    client: aioredis.Redis, settings: MitaSettings
) -> None:
    throttle = throttle_on(client, settings)
    await throttle.failed("win@example.com", "10.2.2.2")
    ip_key = f"{throttle.prefix}:ip:10.2.2.2"
    assert 55 <= await client.ttl(ip_key) <= 60
    await client.expire(ip_key, 10)
    await throttle.failed("win@example.com", "10.2.2.2")
    assert await client.get(ip_key) == b"2"
    assert 0 < await client.ttl(ip_key) <= 10


async def test_throttle_redis_down_fails_closed(
    down: aioredis.Redis, settings: MitaSettings
) -> None:
    throttle = throttle_on(down, settings)
    with pytest.raises(RevocationUnavailable):
        await throttle.check("a@example.com", "10.0.0.1")
    with pytest.raises(RevocationUnavailable):
        await throttle.failed("a@example.com", "10.0.0.1")
    with pytest.raises(RevocationUnavailable):
        await throttle.succeeded("a@example.com")


def request(authorization: str | None = None) -> Request:
    """A bare starlette request with an optional Authorization header."""
    headers = [] if authorization is None else [(b"authorization", authorization.encode())]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers})


class Lookup:
    """A token-version lookup that counts its calls."""

    def __init__(self, version: int) -> None:
        self.version = version
        self.calls: list[uuid.UUID] = []

    async def __call__(self, user_id: uuid.UUID) -> int:
        self.calls.append(user_id)
        return self.version


def access(user: uuid.UUID, tv: int, scopes: tuple[str, ...] = ("read:profile",)) -> str:
    """A signed access token."""
    token, _ = tokens.issue(
        SECRET, user_id=user, typ="access", ttl=dt.timedelta(minutes=5), token_version=tv,
        scopes=scopes,
    )  # fmt: skip
    return token


@pytest.fixture
def store(client: aioredis.Redis, settings: MitaSettings) -> RevocationStore:
    """The revocation store on the real Redis."""
    return RevocationStore(client, settings.redis_prefix("auth"))


async def test_authenticator_valid_denied_and_stale(store: RevocationStore) -> None:
    user, lookup = uuid.uuid4(), Lookup(0)
    auth = Authenticator(SECRET, store, lookup)
    await store.set_token_version(user, 1)
    req = request(f"Bearer {access(user, 1)}")
    claims = await auth.claims(req)
    assert (claims.sub, claims.tv) == (user, 1)
    assert req.state.claims == claims
    await store.deny(claims.jti, 60)
    with pytest.raises(ApiError, match="revoked") as denied:
        await auth.claims(request(req.headers["authorization"]))
    assert denied.value.status == 401
    with pytest.raises(ApiError, match="revoked") as stale:
        await auth.claims(request(f"Bearer {access(user, 0)}"))
    assert stale.value.status == 401
    assert lookup.calls == []


async def test_authenticator_missing_version_uses_lookup_once(store: RevocationStore) -> None:
    user, lookup = uuid.uuid4(), Lookup(4)
    auth = Authenticator(SECRET, store, lookup)
    assert (await auth.claims(request(f"Bearer {access(user, 4)}"))).tv == 4
    assert lookup.calls == [user]
    assert await store.token_version(user) == 4
    with pytest.raises(ApiError) as stale:
        await auth.claims(request(f"bearer  {access(user, 3)}"))
    assert stale.value.status == 401
    assert lookup.calls == [user]  # the cached version answered


@pytest.mark.parametrize("header", [None, "", "Basic dXNlcjpwYXNz", "Bearer ", "Bearer"])
async def test_authenticator_missing_bearer_is_401(
    store: RevocationStore, header: str | None
) -> None:
    auth = Authenticator(SECRET, store, Lookup(0))
    with pytest.raises(ApiError, match="Not authenticated") as info:
        await auth.claims(request(header))
    assert info.value.status == 401
    assert info.value.headers["WWW-Authenticate"] == "Bearer"


async def test_authenticator_invalid_token_is_401(store: RevocationStore) -> None:
    auth = Authenticator(SECRET, store, Lookup(0))
    user = uuid.uuid4()
    refresh, _ = tokens.issue(
        SECRET, user_id=user, typ="refresh", ttl=REFRESH_TTL, token_version=0, scopes=(),
        family="f",
    )  # fmt: skip
    for token in ("not-a-jwt", refresh, access(user, 0)[:-2] + "xx"):
        req = request(f"Bearer {token}")
        with pytest.raises(ApiError, match="Invalid or expired") as info:
            await auth.claims(req)
        assert info.value.status == 401
        assert req.state.auth_failure


async def test_authenticator_redis_down_is_503(
    down: aioredis.Redis, settings: MitaSettings
) -> None:
    lookup = Lookup(0)
    auth = Authenticator(SECRET, RevocationStore(down, settings.redis_prefix("auth")), lookup)
    with pytest.raises(ApiError) as info:
        await auth.claims(request(f"Bearer {access(uuid.uuid4(), 0)}"))
    assert info.value.status == 503
    assert info.value.code == "service_unavailable"
    assert lookup.calls == []


async def test_require_missing_scope_is_403(store: RevocationStore) -> None:
    user = uuid.uuid4()
    auth = Authenticator(SECRET, store, Lookup(0))
    token = f"Bearer {access(user, 0, ('read:profile', 'write:profile'))}"
    claims = await auth.require(request(token), "read:profile", "write:profile")
    assert claims.sub == user
    with pytest.raises(ApiError) as info:
        await auth.require(request(token), "read:profile", tokens.ADMIN_SCOPE)
    assert info.value.status == 403
    assert info.value.details == {"required": ["read:profile", "admin"]}
    assert "WWW-Authenticate" not in info.value.headers
