"""Revocation state in Redis: the access-token deny list and each user's token version.

Every check raises ``RevocationUnavailable`` when Redis cannot answer, so callers fail closed.
"""

from __future__ import annotations

import uuid

import redis.asyncio as aioredis
from redis.exceptions import RedisError

PREFIX = "mita:auth"


class RevocationUnavailable(Exception):
    """Revocation state cannot be read or written (Redis down): refuse, never proceed."""


class RevocationStore:
    """Deny-listed access-token ids and current token versions."""

    def __init__(self, client: aioredis.Redis, prefix: str = PREFIX) -> None:
        self.client = client
        self.prefix = prefix

    def _key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    async def deny(self, jti: str, seconds: int) -> None:
        """Deny an access token until it would have expired anyway."""
        try:
            await self.client.set(self._key("denied", jti), b"1", ex=max(seconds, 1))
        except RedisError as exc:
            raise RevocationUnavailable(str(exc)) from exc

    async def is_denied(self, jti: str) -> bool:
        """Whether the token id is deny-listed."""
        try:
            return bool(await self.client.exists(self._key("denied", jti)))
        except RedisError as exc:
            raise RevocationUnavailable(str(exc)) from exc

    async def token_version(self, user_id: uuid.UUID) -> int | None:
        """The user's current token version (None when not cached)."""
        try:
            raw = await self.client.get(self._key("tv", str(user_id)))
        except RedisError as exc:
            raise RevocationUnavailable(str(exc)) from exc
        return int(raw) if raw is not None else None

    async def set_token_version(self, user_id: uuid.UUID, version: int) -> None:
        """Publish the user's current token version (never lowered)."""
        key = self._key("tv", str(user_id))
        try:
            # Only ever raise it: a late writer must not resurrect revoked tokens.
            await self.client.eval(
                "local v = tonumber(redis.call('GET', KEYS[1]) or '-1') "
                "if tonumber(ARGV[1]) > v then redis.call('SET', KEYS[1], ARGV[1]) end return 1",
                1,
                key,
                str(version),
            )
        except RedisError as exc:
            raise RevocationUnavailable(str(exc)) from exc
