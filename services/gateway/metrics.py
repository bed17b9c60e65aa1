"""The gateway's token-protected /metrics endpoint (the metrics themselves: shared.metrics)."""

from __future__ import annotations

import hmac

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response

from services.gateway.audit import audit
from shared.api import ApiError, error_response
from shared.metrics import HttpMetrics, MetricsMiddleware, method_label, route_template

__all__ = ["HttpMetrics", "MetricsMiddleware", "method_label", "metrics_endpoint", "route_template"]


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
