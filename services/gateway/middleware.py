"""Gateway ASGI middleware: security headers, body-size limit, and their installation order."""

from __future__ import annotations

import asyncio
import logging

import redis.asyncio as aioredis
from fastapi import FastAPI
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response as StarletteResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.gateway.audit import audit
from services.gateway.metrics import HttpMetrics, MetricsMiddleware, metrics_endpoint
from services.gateway.ratelimit import RateLimitMiddleware, RedisRateLimiter
from services.gateway.settings import GatewaySettings
from shared.api import JSONResponse, error_body
from shared.observability import RequestContextMiddleware

log = logging.getLogger("mita.gateway")

API_CSP = "default-src 'none'; frame-ancestors 'none'"
# Swagger UI and ReDoc: assets from jsDelivr, an inline bootstrap script, Google Fonts (ReDoc),
# blob: workers (ReDoc), data: images; still no framing, no plugins, no foreign form targets.
DOCS_CSP = (
    "default-src 'none'; "
    "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src 'self' data: https://fonts.gstatic.com; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
    "connect-src 'self'; worker-src 'self' blob:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
DOCS_PATHS: tuple[str, ...] = ("/docs", "/redoc")
# The admin portal: its own scripts and styles only (no inline code, no CDN), forms to itself.
PORTAL_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
UPLOAD_SUFFIXES: tuple[str, ...] = (
    "/receipt",
    "/receipt/advanced",
    "/receipt/batch",
    "/ocr/process",
)
CORS_METHODS: tuple[str, ...] = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
CORS_HEADERS: tuple[str, ...] = (
    "Authorization",
    "Content-Type",
    "Accept",
    "Accept-Language",
    "X-Request-ID",
    "Idempotency-Key",
    "X-User-Timezone",
    "traceparent",
    "tracestate",
)
CORS_EXPOSE: tuple[str, ...] = (
    "X-Request-ID",
    "Retry-After",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
)


def _under(path: str, prefix: str) -> bool:
    """Whether ``path`` is ``prefix`` or below it."""
    return path == prefix or path.startswith(prefix + "/")


def security_headers(path: str, hsts_seconds: int) -> dict[str, str]:
    """The security headers for a response to ``path``."""
    docs = any(_under(path, p) for p in DOCS_PATHS)
    portal = _under(path, "/admin")
    headers = {
        "Strict-Transport-Security": f"max-age={hsts_seconds}; includeSubDomains",
        "Content-Security-Policy": DOCS_CSP if docs else PORTAL_CSP if portal else API_CSP,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
    }
    if _under(path, "/api") or portal:
        headers["Cache-Control"] = "no-store"
    return headers


class SecurityHeadersMiddleware:
    """Adds the security headers to every response, including errors and crashes."""

    def __init__(self, app: ASGIApp, *, hsts_seconds: int) -> None:
        self.app = app
        self.hsts_seconds = hsts_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Set the headers on ``http.response.start``; answer an escaped crash with a 500."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers(scope["path"], self.hsts_seconds)
        started = False

        async def send_secured(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    # Cache-Control on /api is forced: financial data is never cached.
                    if name == "Cache-Control" or name not in headers:
                        headers[name] = value
            await send(message)

        try:
            await self.app(scope, receive, send_secured)
        except Exception:
            # Starlette answers unhandled errors outside every user middleware (so without
            # these headers); answer here instead, then re-raise so its 500 handler still logs
            # and the server still sees the failure (it sends nothing more once started).
            if not started:
                body = error_body(500, "Internal server error")
                await JSONResponse(body, status_code=500)(scope, receive, send_secured)
            raise


class BodyTooLarge(HTTPException):
    """The request body outgrew its limit while being read (rendered as a 413 envelope)."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            413, f"Request body exceeds {limit} bytes", headers={"Connection": "close"}
        )
        self.limit = limit


def _find_too_large(exc: BaseException) -> BodyTooLarge | None:
    """The BodyTooLarge in ``exc`` (possibly inside an exception group)."""
    if isinstance(exc, BodyTooLarge):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found = _find_too_large(inner)
            if found is not None:
                return found
    return None


# After refusing a body, the rest of it is read and thrown away (up to this many times the
# limit, for at most this long) before answering: a client that writes its whole body before
# reading (Python's http.client, Dart's HttpClient streaming a photo) would otherwise get a
# connection reset instead of the 413. Past either bound the 413 goes out and the connection
# closes.
DRAIN_FACTOR = 16
DRAIN_SECONDS = 10.0


async def drain(receive: Receive, max_bytes: int, seconds: float) -> int:
    """Read and discard the rest of a request body, bounded in bytes and time; bytes read."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    drained = 0
    while drained <= max_bytes:
        left = deadline - loop.time()
        if left <= 0:
            break
        try:
            message = await asyncio.wait_for(receive(), left)
        except TimeoutError:
            break
        if message["type"] != "http.request":
            break
        drained += len(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return drained


class BodySizeLimitMiddleware:
    """413 when Content-Length or the bytes actually received exceed the path's limit.

    The refused body is drained (bounded) first so the client reads the 413; a client that
    asked ``Expect: 100-continue`` has sent nothing yet and is answered at once.
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes

    def limit_for(self, scope: Scope) -> int:
        """The upload limit for multipart receipt/OCR uploads, else the body limit."""
        path = str(scope["path"]).rstrip("/")
        content_type = Headers(scope=scope).get("content-type", "").lower()
        if content_type.startswith("multipart/form-data") and path.endswith(UPLOAD_SUFFIXES):
            return self.max_upload_bytes
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Reject by Content-Length up front, else count bytes as the app reads them."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = Headers(scope=scope).get("content-length")
        if declared is not None:
            value = declared.strip()
            if not (value.isascii() and value.isdigit()):
                body = error_body(400, "Invalid Content-Length header", code="bad_request")
                await JSONResponse(body, status_code=400)(scope, receive, send)
                return
            if int(value) > limit:
                audit("body.too_large", scope, limit=limit, content_length=int(value))
                if Headers(scope=scope).get("expect", "").lower() != "100-continue":
                    await drain(receive, limit * DRAIN_FACTOR, DRAIN_SECONDS)
                await self._reject(scope, receive, send, limit, close=True)
                return
        received = 0
        started = False
        reported = False

        async def receive_limited() -> Message:
            nonlocal received, reported
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    if not reported:
                        reported = True
                        audit("body.too_large", scope, limit=limit, received=received)
                        if message.get("more_body", False):
                            await drain(receive, limit * DRAIN_FACTOR, DRAIN_SECONDS)
                    raise BodyTooLarge(limit)
            return message

        async def send_tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive_limited, send_tracking)
        except Exception as exc:
            # Normally the app's HTTPException handler already rendered the 413.
            too_large = _find_too_large(exc)
            if too_large is None or started:
                raise
            await self._reject(scope, receive, send, too_large.limit, close=True)

    @staticmethod
    async def _reject(scope: Scope, receive: Receive, send: Send, limit: int, close: bool) -> None:
        """Send the 413 error envelope."""
        body = error_body(413, f"Request body exceeds {limit} bytes", details={"limit": limit})
        headers = {"Connection": "close"} if close else None
        await JSONResponse(body, status_code=413, headers=headers)(scope, receive, send)


class EnvelopeCORSMiddleware(CORSMiddleware):
    """Starlette's CORS, but a refused preflight answers the error envelope."""

    def preflight_response(self, request_headers: Headers) -> StarletteResponse:
        """Answer a preflight; turn a refusal into the standard error envelope."""
        answer = super().preflight_response(request_headers)
        if answer.status_code < 400:
            return answer
        message = bytes(answer.body).decode(errors="replace") or "CORS preflight refused"
        headers = {k: v for k, v in answer.headers.items() if k.lower().startswith("access-")}
        return JSONResponse(
            error_body(answer.status_code, message, "cors_refused"),
            status_code=answer.status_code,
            headers=headers,
        )


def install_middleware(app: FastAPI, settings: GatewaySettings, redis: aioredis.Redis) -> None:
    """Install the gateway middleware (outermost first) and the token-protected /metrics."""
    origins = list(settings.cors_origins)
    if "*" in origins:
        raise ValueError("MITA_CORS_ORIGINS must list origins explicitly, never '*'")
    metrics = HttpMetrics()
    app.state.metrics = metrics
    app.state.metrics_token = settings.metrics_token
    # Whatever /metrics the app had (an internal service's open one, when it was built without
    # public=True) gives way to the token-protected one: the gateway's is on the internet.
    app.router.routes[:] = [r for r in app.router.routes if getattr(r, "path", None) != "/metrics"]
    app.add_api_route("/metrics", metrics_endpoint, methods=["GET"], include_in_schema=False)
    # build_app may have registered the request context and its own metrics: the gateway's
    # stack replaces both (the request context outermost).
    replaced: tuple[object, ...] = (RequestContextMiddleware, MetricsMiddleware)
    app.user_middleware[:] = [m for m in app.user_middleware if m.cls not in replaced]
    # add_middleware puts each new layer outside the previous ones: add innermost first.
    app.add_middleware(MetricsMiddleware, metrics=metrics, slow_request_ms=settings.slow_request_ms)
    app.add_middleware(
        RateLimitMiddleware,
        limiter=RedisRateLimiter(redis, prefix=settings.redis_prefix("ratelimit")),
        limit=settings.rate_limit_per_minute,
        auth_limit=settings.auth_rate_limit_per_minute,
        secret=settings.secret_key.get_secret_value(),
    )
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
    )
    app.add_middleware(
        EnvelopeCORSMiddleware,
        allow_origins=origins,
        allow_credentials=True,
        allow_methods=list(CORS_METHODS),
        allow_headers=list(CORS_HEADERS),
        expose_headers=list(CORS_EXPOSE),
        max_age=600,
    )
    app.add_middleware(SecurityHeadersMiddleware, hsts_seconds=settings.hsts_seconds)
    app.add_middleware(RequestContextMiddleware)
