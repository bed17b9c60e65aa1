"""Structured JSON logs with trace ids, OpenTelemetry tracing, Sentry when configured."""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from starlette.requests import Request
from starlette.responses import Response

from shared import context

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "mita_request_id", default=None
)
_service_name = "mita"


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with service, trace and request ids."""

    def format(self, record: logging.LogRecord) -> str:
        """Render a log record as JSON."""
        span = trace.get_current_span().get_span_context()
        doc: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "service": _service_name,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if span.is_valid:
            doc["trace_id"] = format(span.trace_id, "032x")
            doc["span_id"] = format(span.span_id, "016x")
        rid = request_id_var.get()
        if rid:
            doc["request_id"] = rid
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        return json.dumps(doc, default=str)


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stdout`` is at emit time (survives stream swaps)."""

    @property
    def stream(self) -> Any:
        """The current standard output."""
        return sys.stdout

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_logging(service: str, level: str = "INFO", as_json: bool = True) -> None:
    """Configure the root logger for one process."""
    global _service_name
    _service_name = service
    handler = _StdoutHandler()
    handler.setFormatter(
        JsonFormatter() if as_json else logging.Formatter("%(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiokafka", "kafka"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def init_tracing(service: str) -> None:
    """Install a tracer provider once per process (exporters are configured by OTEL_* env)."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(
            TracerProvider(resource=Resource.create({"service.name": f"mita-{service}"}))
        )


def init_sentry(dsn: str, environment: str, release: str) -> bool:
    """Initialise sentry-sdk when a DSN is configured; return whether it was."""
    if not dsn:
        return False
    import sentry_sdk

    sentry_sdk.init(dsn=dsn, environment=environment, release=release, traces_sample_rate=0.0)
    return True


def tracer() -> trace.Tracer:
    """The MITA tracer."""
    return trace.get_tracer("mita")


def current_trace_context() -> dict[str, str]:
    """W3C trace context of the current span, for storing with events or Kafka headers."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


async def request_context_middleware(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Continue the caller's trace, assign a request id and put both in the event context."""
    rid = request.headers.get("x-request-id") or uuid.uuid4().hex
    parent = propagate.extract(dict(request.headers))
    token = request_id_var.set(rid)
    try:
        with (
            tracer().start_as_current_span(
                f"{request.method} {request.url.path}", context=parent, kind=trace.SpanKind.SERVER
            ),
            context.use(correlation_id=rid, trace_context=current_trace_context()),
        ):
            response = await call_next(request)
        response.headers["X-Request-ID"] = rid
        return response
    finally:
        request_id_var.reset(token)
