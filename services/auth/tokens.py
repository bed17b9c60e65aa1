"""Token issuing and refresh rotation with reuse detection (state in Redis)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from shared import tokens
from shared.revocation import RevocationStore, RevocationUnavailable

# KEYS[1] = the refresh token's state, KEYS[2] = its family. Atomic, so of two concurrent
# refreshes with one token exactly one sees "live"; the other is a reuse.
ROTATE = """
local fam = redis.call('GET', KEYS[2])
if not fam or fam == 'revoked' then return 'revoked' end
local state = redis.call('GET', KEYS[1])
if state == 'live' then
  redis.call('SET', KEYS[1], 'used', 'KEEPTTL')
  return 'ok'
end
if state == 'used' then
  redis.call('SET', KEYS[2], 'revoked', 'KEEPTTL')
  return 'reuse'
end
return 'unknown'
"""


class RefreshRejected(Exception):
    """The refresh token is invalid, expired, revoked or was already used."""


@dataclass(frozen=True)
class TokenPair:
    """What sign-in and refresh answer."""

    access_token: str
    refresh_token: str
    access: tokens.Claims
    refresh: tokens.Claims


class TokenService:
    """Issues pairs, rotates refresh tokens, revokes families and access tokens."""

    def __init__(
        self,
        client: aioredis.Redis,
        secret: str,
        *,
        access_ttl: dt.timedelta,
        refresh_ttl: dt.timedelta,
        prefix: str = "mita:auth",
    ) -> None:
        self.client = client
        self.secret = secret
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl
        self.prefix = prefix
        self.revocation = RevocationStore(client, prefix)

    def _key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    async def issue(
        self,
        user_id: uuid.UUID,
        *,
        token_version: int,
        scopes: tuple[str, ...],
        family: str | None = None,
    ) -> TokenPair:
        """A new access/refresh pair (a new family unless rotating within one)."""
        fam = family or uuid.uuid4().hex
        access, access_claims = tokens.issue(
            self.secret,
            user_id=user_id,
            typ="access",
            ttl=self.access_ttl,
            token_version=token_version,
            scopes=scopes,
            family=fam,
        )
        refresh, refresh_claims = tokens.issue(
            self.secret,
            user_id=user_id,
            typ="refresh",
            ttl=self.refresh_ttl,
            token_version=token_version,
            scopes=scopes,
            family=fam,
        )
        ttl = int(self.refresh_ttl.total_seconds())
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                if family is None:
                    pipe.set(self._key("family", fam), str(user_id), ex=ttl)
                else:
                    pipe.expire(self._key("family", fam), ttl)
                pipe.set(self._key("refresh", refresh_claims.jti), "live", ex=ttl)
                await pipe.execute()
            await self.revocation.set_token_version(user_id, token_version)
        except RedisError as exc:
            raise RevocationUnavailable(str(exc)) from exc
        return TokenPair(access, refresh, access_claims, refresh_claims)

    async def rotate(self, refresh_token: str, *, current_version: int) -> TokenPair:
        """Spend a refresh token for a new pair; a reused token revokes its whole family."""
        try:
            claims = tokens.verify(self.secret, refresh_token, "refresh")
        except tokens.TokenError as exc:
            raise RefreshRejected(str(exc)) from exc
        assert claims.fam is not None
        if claims.tv < current_version:
            raise RefreshRejected("token version outdated")
        try:
            outcome = await self.client.eval(
                ROTATE,
                2,
                self._key("refresh", claims.jti),
                self._key("family", claims.fam),
            )
        except RedisError as exc:
            raise RevocationUnavailable(str(exc)) from exc
        result = outcome.decode() if isinstance(outcome, bytes) else str(outcome)
        if result != "ok":
            raise RefreshRejected(f"refresh token {result}")
        return await self.issue(
            claims.sub, token_version=current_version, scopes=claims.scopes, family=claims.fam
        )

    async def revoke_family(self, family: str) -> None:
        """Kill every refresh token of a family (logout, reuse)."""
        try:
            await self.client.set(self._key("family", family), "revoked", keepttl=True)
        except RedisError as exc:
            raise RevocationUnavailable(str(exc)) from exc

    async def revoke_access(self, claims: tokens.Claims) -> None:
        """Deny an access token until it expires."""
        await self.revocation.deny(claims.jti, claims.seconds_left())

    async def publish_version(self, user_id: uuid.UUID, version: int) -> None:
        """Make a token-version bump visible to every verifier."""
        await self.revocation.set_token_version(user_id, version)
