"""Login throttling per account and per IP in Redis, checked before any password hashing."""

from __future__ import annotations

import hashlib

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from shared.revocation import RevocationUnavailable


class Throttled(Exception):
    """Too many failed logins; ``retry_after`` seconds until the window ends."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins; retry after {retry_after}s")
        self.retry_after = retry_after


class LoginThrottle:
    """Counts failures in a fixed window per account and per client IP."""

    def __init__(
        self,
        client: aioredis.Redis,
        *,
        per_account: int,
        per_ip: int,
        window_seconds: int,
        prefix: str = "mita:auth:throttle",
    ) -> None:
        self.client = client
        self.per_account = per_account
        self.per_ip = per_ip
        self.window = window_seconds
        self.prefix = prefix

    def _keys(self, email: str, ip: str | None) -> tuple[str, str]:
        # Hash the email so Redis never holds addresses in clear.
        account = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
        return f"{self.prefix}:acct:{account}", f"{self.prefix}:ip:{ip or 'unknown'}"

    async def check(self, email: str, ip: str | None) -> None:
        """Raise Throttled when either counter is at its limit (fails closed without Redis)."""
        acct, by_ip = self._keys(email, ip)
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                pipe.get(acct)
                pipe.get(by_ip)
                pipe.ttl(acct)
                pipe.ttl(by_ip)
                a, i, ttl_a, ttl_i = await pipe.execute()
        except RedisError as exc:
            raise RevocationUnavailable(str(exc)) from exc
        if a is not None and int(a) >= self.per_account:
            raise Throttled(max(int(ttl_a), 1))
        if i is not None and int(i) >= self.per_ip:
            raise Throttled(max(int(ttl_i), 1))

    async def failed(self, email: str, ip: str | None) -> None:
        """Count a failure against the account and the IP."""
        acct, by_ip = self._keys(email, ip)
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                for key in (acct, by_ip):
                    pipe.incr(key)
                    pipe.expire(key, self.window, nx=True)
                await pipe.execute()
        except RedisError as exc:
            raise RevocationUnavailable(str(exc)) from exc

    async def succeeded(self, email: str) -> None:
        """A correct password clears the account's counter (not the IP's)."""
        acct, _ = self._keys(email, None)
        try:
            await self.client.delete(acct)
        except RedisError as exc:
            raise RevocationUnavailable(str(exc)) from exc
