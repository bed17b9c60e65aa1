"""Per-client fixed-window rate limiting in Redis (one atomic Lua call per request)."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.gateway.audit import audit
from shared import tokens
from shared.api import JSONResponse, error_body

log = logging.getLogger("mita.gateway.ratelimit")

# Only behind a proxy that overwrites X-Forwarded-For may its first hop be believed.
TRUST_FORWARDED = False
# Probes and the scrape endpoint (/ready is the supervisor's probe, polled from loopback).
EXEMPT_PATHS: frozenset[str] = frozenset({"/", "/health", "/ready", "/metrics"})
AUTH_PREFIX = "/api/auth"
WINDOW_SECONDS = 60
REDIS_TIMEOUT_SECONDS = 0.5
UNAVAILABLE_RETRY_AFTER = 5
WARN_EVERY_SECONDS = 60.0
MAX_TOKEN_CHARS = 8192

# INCR and, for a new window, PEXPIRE — atomically; returns the count and the window's ms left.
_HIT_SCRIPT = """
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
"""


class RateLimiterUnavailable(Exception):
    """Redis could not answer the rate-limit check."""


@dataclass(frozen=True)
class Decision:
    """The outcome of one counted request."""

    allowed: bool
    limit: int
    remaining: int
    retry_after: int
    count: int


def client_ip(scope: Scope) -> str:
    """The client address: the first X-Forwarded-For hop when trusted, else the peer."""
    if TRUST_FORWARDED:
        forwarded = Headers(scope=scope).get("x-forwarded-for", "")
        first = forwarded.split(",")[0].strip()
        if first:
            return first
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def bearer_subject(scope: Scope, secret: str) -> str | None:
    """The ``sub`` of a bearer access token whose signature verifies (else None: IP bucket).

    Verifying (cheap, HS256) stops a client from inventing a new user id per request to
    dodge its limit; revocation is checked later by the route, not here.
    """
    header = Headers(scope=scope).get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > MAX_TOKEN_CHARS:
        return None
    try:
        return str(tokens.verify(secret, token, "access").sub)
    except (tokens.TokenError, RecursionError):
        return None


def is_auth_path(path: str) -> bool:
    """Whether the path is an authentication endpoint (the stricter, per-IP bucket)."""
    return path == AUTH_PREFIX or path.startswith(AUTH_PREFIX + "/")


class RedisRateLimiter:
    """Counts requests per bucket and key in fixed windows that start at the first hit."""

    def __init__(
        self,
        client: aioredis.Redis,
        prefix: str = "mita:ratelimit",
        *,
        window_seconds: int = WINDOW_SECONDS,
        timeout_seconds: float = REDIS_TIMEOUT_SECONDS,
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.window_ms = window_seconds * 1000
        self.timeout = timeout_seconds
        self._script = client.register_script(_HIT_SCRIPT)

    def key(self, bucket: str, client_key: str) -> str:
        """The Redis key of one client's counter."""
        return f"{self.prefix}:{bucket}:{client_key}"

    async def hit(self, bucket: str, client_key: str, limit: int) -> Decision:
        """Count one request; raise RateLimiterUnavailable when Redis cannot answer."""
        try:
            async with asyncio.timeout(self.timeout):
                raw = await self._script(keys=[self.key(bucket, client_key)], args=[self.window_ms])
        except (RedisError, OSError, TimeoutError) as exc:
            raise RateLimiterUnavailable(f"{type(exc).__name__}: {exc}") from exc
        count, ttl_ms = int(raw[0]), max(int(raw[1]), 0)
        return Decision(
            allowed=count <= limit,
            limit=limit,
            remaining=max(limit - count, 0),
            retry_after=max(math.ceil(ttl_ms / 1000), 1),
            count=count,
        )


class RateLimitMiddleware:
    """429 over the limit; per user (bearer ``sub``) or per IP, stricter per IP on auth paths."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        limiter: RedisRateLimiter,
        limit: int,
        auth_limit: int,
        secret: str,
    ) -> None:
        self.app = app
        self.secret = secret
        self.limiter = limiter
        self.limit = limit
        self.auth_limit = auth_limit
        self._last_warning = -math.inf

    def classify(self, scope: Scope) -> tuple[str, str, int]:
        """The bucket, client key and limit for a request."""
        path: str = scope["path"]
        if is_auth_path(path):
            return "auth", f"ip:{client_ip(scope)}", self.auth_limit
        subject = bearer_subject(scope, self.secret)
        if subject is not None:
            return "api", f"user:{subject}", self.limit
        return "api", f"ip:{client_ip(scope)}", self.limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Count the request, then answer 429/503 or pass it on with X-RateLimit headers."""
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        bucket, client_key, limit = self.classify(scope)
        try:
            decision = await self.limiter.hit(bucket, client_key, limit)
        except RateLimiterUnavailable as exc:
            # Redis down: the auth bucket fails closed (no unthrottled password guessing),
            # every other path fails open with a warning — those requests still need a JWT,
            # and the revocation check behind it fails closed when Redis is down.
            if bucket == "auth":
                audit("ratelimit.unavailable", scope, bucket=bucket, error=str(exc))
                body = error_body(503, "Service temporarily unavailable, try again shortly")
                headers = {"Retry-After": str(UNAVAILABLE_RETRY_AFTER)}
                await JSONResponse(body, status_code=503, headers=headers)(scope, receive, send)
                return
            self._warn_unavailable(exc)
            await self.app(scope, receive, send)
            return
        limit_headers = {
            "X-RateLimit-Limit": str(decision.limit),
            "X-RateLimit-Remaining": str(decision.remaining),
        }
        if not decision.allowed:
            if decision.count == limit + 1:  # once per window and client, not per request
                audit(
                    "ratelimit.exceeded",
                    scope,
                    bucket=bucket,
                    client_key=client_key,
                    limit=limit,
                    retry_after=decision.retry_after,
                )
            body = error_body(
                429,
                "Too many requests, retry later",
                details={"retry_after": decision.retry_after, "limit": decision.limit},
            )
            headers = {"Retry-After": str(decision.retry_after), **limit_headers}
            await JSONResponse(body, status_code=429, headers=headers)(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                for name, value in limit_headers.items():
                    response_headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _warn_unavailable(self, exc: Exception) -> None:
        """Log that limiting is off, at most once a minute."""
        now = time.monotonic()
        if now - self._last_warning >= WARN_EVERY_SECONDS:
            self._last_warning = now
            log.warning("rate limiter unavailable, letting non-auth requests through: %s", exc)
