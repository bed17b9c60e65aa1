"""Structured JSON logs with trace ids, OpenTelemetry tracing, Sentry when configured."""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import time
import uuid
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
    """Install a tracer provider once per process, exporting over OTLP/HTTP when
    ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set (``shared.tracing``)."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        from shared.tracing import otlp_processor

        provider = TracerProvider(resource=Resource.create({"service.name": f"mita-{service}"}))
        exporter = otlp_processor()
        if exporter is not None:
            provider.add_span_processor(exporter)
        trace.set_tracer_provider(provider)


def init_sentry(dsn: str, environment: str, release: str) -> bool:
    """Initialise sentry-sdk when a DSN is configured, every event scrubbed of personal data
    (``shared.scrub``); return whether it was."""
    if not dsn:
        return False
    import sentry_sdk

    from shared.scrub import before_breadcrumb, before_send

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        traces_sample_rate=0.0,
        max_request_body_size="never",  # request bodies hold amounts and merchants
        include_local_variables=False,
        before_send=before_send,  # type: ignore[arg-type]
        before_breadcrumb=before_breadcrumb,
    )
    return True


def tracer() -> trace.Tracer:
    """The MITA tracer."""
    return trace.get_tracer("mita")


def current_trace_context() -> dict[str, str]:
    """W3C trace context of the current span, for storing with events or Kafka headers."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


class RequestContextMiddleware:
    """Continue the caller's trace, assign a request id and put both in the event context.

    Pure ASGI (no per-request task or response wrapper, unlike ``BaseHTTPMiddleware``): the
    answer's start message gains ``X-Request-ID``.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Wrap one HTTP request; other scopes pass through."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        rid = headers.get("x-request-id") or uuid.uuid4().hex
        raw_id = rid.encode("latin-1")

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", ()) if k != b"x-request-id"]
                message = {**message, "headers": [*kept, (b"x-request-id", raw_id)]}
            await send(message)

        token = request_id_var.set(rid)
        try:
            with (
                tracer().start_as_current_span(
                    f"{scope['method']} {scope['path']}",
                    context=propagate.extract(headers),
                    kind=trace.SpanKind.SERVER,
                ),
                context.use(correlation_id=rid, trace_context=current_trace_context()),
            ):
                await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)
