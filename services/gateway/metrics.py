"""Prometheus request metrics per app, the token-protected /metrics endpoint, slow-request logs."""

from __future__ import annotations

import hmac
import logging
import time
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.gateway.audit import audit
from shared.api import ApiError, error_response

slow_log = logging.getLogger("mita.gateway.slow")

UNMATCHED = "unmatched"
METHODS: frozenset[str] = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"}
)


class HttpMetrics:
    """Request counter and latency histogram in a registry of their own."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "mita_http_requests",
            "HTTP requests by method, route template and status.",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "mita_http_request_duration_seconds",
            "HTTP request latency by method and route template.",
            ("method", "route"),
            registry=self.registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Record one finished request."""
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def exposition(self) -> bytes:
        """The registry in the Prometheus text format."""
        return generate_latest(self.registry)


def route_template(scope: Scope) -> str:
    """The matched route's path template (bounded label values), else ``unmatched``."""
    path = getattr(scope.get("route"), "path", None)
    if isinstance(path, str) and path:
        return path
    # FastAPI sets scope["route"] only for its own routes; plain Starlette ones (/docs,
    # /openapi.json) leave just their endpoint behind.
    endpoint = scope.get("endpoint")
    if endpoint is None:
        return UNMATCHED
    if not scope.get("path_params"):
        return str(scope.get("path") or UNMATCHED)  # a static route: the path is the template
    routes: Any = getattr(getattr(scope.get("app"), "router", None), "routes", ())
    for route in routes:
        if getattr(route, "endpoint", None) is endpoint and isinstance(route.path, str):
            return str(route.path)
    return UNMATCHED


def method_label(scope: Scope) -> str:
    """The request method, folded to OTHER when not a standard one."""
    method = str(scope.get("method", "")).upper()
    return method if method in METHODS else "OTHER"


class MetricsMiddleware:
    """Counts and times every HTTP request; logs those slower than ``slow_request_ms``."""

    def __init__(self, app: ASGIApp, *, metrics: HttpMetrics, slow_request_ms: int) -> None:
        self.app = app
        self.metrics = metrics
        self.slow_request_ms = slow_request_ms

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Time the request until its last body chunk (or its failure)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_tracking(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_tracking)
        finally:
            self._record(scope, status, time.perf_counter() - start)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        """Update the metrics and log a slow request."""
        method = method_label(scope)
        self.metrics.observe(method, route_template(scope), status, seconds)
        duration_ms = seconds * 1000
        if duration_ms >= self.slow_request_ms:
            path = scope.get("path", "")
            slow_log.warning(
                "slow request %s %s -> %s in %.1f ms",
                method,
                path,
                status,
                duration_ms,
                extra={
                    "method": method,
                    "path": path,
                    "status": status,
                    "duration_ms": round(duration_ms, 1),
                },
            )


def _unauthorized(request: Request, reason: str) -> Response:
    """401 envelope (with WWW-Authenticate) for a refused scrape."""
    audit("auth.token_rejected", request, target="metrics", reason=reason)
    return error_response(ApiError(401, "Metrics require a valid bearer token"))


async def metrics_endpoint(request: Request) -> Response:
    """Prometheus exposition, only for ``Authorization: Bearer <metrics_token>``."""
    expected = str(getattr(request.app.state, "metrics_token", "") or "")
    metrics = getattr(request.app.state, "metrics", None)
    if not expected:
        return _unauthorized(request, "metrics token not configured")
    scheme, _, supplied = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        supplied.strip().encode(), expected.encode()
    ):
        return _unauthorized(request, "missing or wrong metrics token")
    if not isinstance(metrics, HttpMetrics):
        return error_response(ApiError(404, "Not found"))
    return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
