"""JSON logs, tracing helpers and Sentry initialisation."""

from __future__ import annotations

import json
import logging
import socket
import sys
from collections.abc import Iterator

import pytest
import sentry_sdk
from fastapi import FastAPI
from fastapi.testclient import TestClient
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from shared import context, observability
from shared.observability import (
    JsonFormatter,
    RequestContextMiddleware,
    configure_logging,
    current_trace_context,
    init_sentry,
    init_tracing,
    request_id_var,
    tracer,
)


@pytest.fixture
def root_logger(monkeypatch: pytest.MonkeyPatch) -> Iterator[logging.Logger]:
    """The root logger, restored (handlers, level, service name) after the test."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    monkeypatch.setattr(observability, "_service_name", observability._service_name)
    yield root
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def traced() -> None:
    """A real tracer provider (installed once per process)."""
    init_tracing("unit")
    assert isinstance(trace.get_tracer_provider(), TracerProvider)


def render(msg: str, *args: object, level: int = logging.INFO) -> dict[str, object]:
    """Format one record with JsonFormatter and parse it back."""
    record = logging.LogRecord("mita.test", level, __file__, 1, msg, args, None)
    doc: dict[str, object] = json.loads(JsonFormatter().format(record))
    return doc


def test_json_formatter_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(observability, "_service_name", "ledger")
    doc = render("spent %s on %s", "1.50", "tea", level=logging.WARNING)
    assert doc["service"] == "ledger"
    assert doc["level"] == "WARNING"
    assert doc["logger"] == "mita.test"
    assert doc["msg"] == "spent 1.50 on tea"
    assert isinstance(doc["ts"], str)
    assert doc["ts"].endswith("Z")
    assert "trace_id" not in doc
    assert "span_id" not in doc
    assert "request_id" not in doc


def test_json_formatter_trace_ids_inside_span(traced: None) -> None:
    with tracer().start_as_current_span("unit-span") as span:
        doc = render("inside")
        ctx = span.get_span_context()
    assert doc["trace_id"] == format(ctx.trace_id, "032x")
    assert doc["span_id"] == format(ctx.span_id, "016x")
    assert len(str(doc["trace_id"])) == 32
    assert "trace_id" not in render("outside")


def test_json_formatter_request_id() -> None:
    token = request_id_var.set("req-42")
    try:
        assert render("x")["request_id"] == "req-42"
    finally:
        request_id_var.reset(token)
    assert "request_id" not in render("x")


def test_json_formatter_exception() -> None:
    try:
        raise ValueError("bad money")
    except ValueError:
        record = logging.LogRecord("m", logging.ERROR, __file__, 1, "oops", None, sys.exc_info())
    doc = json.loads(JsonFormatter().format(record))
    assert "ValueError: bad money" in doc["exc"]
    assert doc["msg"] == "oops"


def test_configure_logging_json(
    root_logger: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("budget", "debug", as_json=True)
    assert root_logger.level == logging.DEBUG
    assert len(root_logger.handlers) == 1
    assert isinstance(root_logger.handlers[0].formatter, JsonFormatter)
    assert logging.getLogger("aiokafka").level == logging.WARNING
    assert logging.getLogger("kafka").level == logging.WARNING
    logging.getLogger("mita.unit").debug("hello %d", 7)
    line = capsys.readouterr().out.strip().splitlines()[-1]
    doc = json.loads(line)
    assert (doc["service"], doc["level"], doc["msg"], doc["logger"]) == (
        "budget",
        "DEBUG",
        "hello 7",
        "mita.unit",
    )


def test_configure_logging_plain(
    root_logger: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("ocr", "WARNING", as_json=False)
    assert root_logger.level == logging.WARNING
    logging.getLogger("mita.plain").info("hidden")
    logging.getLogger("mita.plain").warning("shown")
    assert capsys.readouterr().out == "WARNING mita.plain: shown\n"


def test_current_trace_context(traced: None) -> None:
    assert "traceparent" not in current_trace_context()
    with tracer().start_as_current_span("outer") as span:
        carrier = current_trace_context()
        ctx = span.get_span_context()
    assert "traceparent" in carrier
    version, trace_id, span_id, flags = carrier["traceparent"].split("-")
    assert version == "00"
    assert trace_id == format(ctx.trace_id, "032x")
    assert span_id == format(ctx.span_id, "016x")
    assert int(flags, 16) & 0x01  # sampled


def test_init_tracing_is_idempotent(traced: None) -> None:
    provider = trace.get_tracer_provider()
    init_tracing("other")
    assert trace.get_tracer_provider() is provider


def test_init_sentry_without_dsn_does_nothing() -> None:
    assert init_sentry("", "dev", "abc") is False
    assert not sentry_sdk.get_client().is_active()


def test_init_sentry_with_dsn_sends_nothing() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(5)
        listener.settimeout(1.0)
        port = listener.getsockname()[1]
        dsn = f"http://public@127.0.0.1:{port}/1"
        try:
            assert init_sentry(dsn, "test", "r123") is True
            client = sentry_sdk.get_client()
            assert client.is_active()
            assert str(client.dsn) == dsn
            assert client.options["environment"] == "test"
            assert client.options["release"] == "r123"
            assert client.options["traces_sample_rate"] == 0.0
            client.flush(timeout=1)
        finally:
            sentry_sdk.get_client().close(timeout=1)
            sentry_sdk.get_global_scope().set_client(None)
        with pytest.raises(TimeoutError):
            listener.accept()  # nobody connected: init sent nothing
    assert not sentry_sdk.get_client().is_active()


def middleware_app() -> FastAPI:
    """An app that reports the event context and trace ids seen by a handler."""
    app = FastAPI()
    app.add_middleware(RequestContextMiddleware)

    @app.get("/ctx")
    async def ctx() -> dict[str, object]:
        span = trace.get_current_span().get_span_context()
        current = context.current()
        return {
            "correlation_id": current.correlation_id,
            "trace_context": current.trace_context,
            "request_id": request_id_var.get(),
            "trace_id": format(span.trace_id, "032x"),
        }

    return app


def test_middleware_continues_trace_and_sets_context(traced: None) -> None:
    trace_id = "0af7651916cd43dd8448eb211c80319c"
    headers = {"x-request-id": "rid-1", "traceparent": f"00-{trace_id}-b7ad6b7169203331-01"}
    with TestClient(middleware_app()) as client:
        response = client.get("/ctx", headers=headers)
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "rid-1"
    body = response.json()
    assert body["correlation_id"] == "rid-1"
    assert body["request_id"] == "rid-1"
    assert body["trace_id"] == trace_id
    # The stored trace context points at the server span, a child of the caller's.
    assert body["trace_context"]["traceparent"].split("-")[1] == trace_id
    assert "-b7ad6b7169203331-" not in body["trace_context"]["traceparent"]
    assert request_id_var.get() is None


def test_middleware_generates_request_id(traced: None) -> None:
    with TestClient(middleware_app()) as client:
        first = client.get("/ctx")
        second = client.get("/ctx")
    rid = first.headers["X-Request-ID"]
    assert len(rid) == 32
    int(rid, 16)
    assert first.json()["correlation_id"] == rid
    assert second.headers["X-Request-ID"] != rid
    assert first.json()["trace_id"] != second.json()["trace_id"]
