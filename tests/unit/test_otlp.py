"""Spans leave over OTLP/HTTP only when an endpoint is configured, to that endpoint; the
per-event spans are made only when something receives them."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from opentelemetry import trace as otel_trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared import context, tracing
from shared.envelope import EventEnvelope
from shared.tracing import otlp_processor


@pytest.fixture
def collector() -> Iterator[tuple[str, list[tuple[str, str, bytes]]]]:
    """A local OTLP/HTTP endpoint keeping (path, content type, body) of each POST."""
    received: list[tuple[str, str, bytes]] = []

    class Otlp(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            received.append((self.path, self.headers.get("content-type", ""), body))
            self.send_response(200)
            self.send_header("content-type", "application/x-protobuf")
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Otlp)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()


def test_no_endpoint_no_exporter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
    assert otlp_processor() is None


def test_spans_reach_the_configured_endpoint(
    monkeypatch: pytest.MonkeyPatch, collector: tuple[str, list[tuple[str, str, bytes]]]
) -> None:
    endpoint, received = collector
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
    processor = otlp_processor()
    assert processor is not None
    provider = TracerProvider()
    provider.add_span_processor(processor)
    with provider.get_tracer("test").start_as_current_span("record transaction"):
        pass
    assert provider.force_flush(10_000)
    provider.shutdown()
    assert [(path, kind) for path, kind, _ in received] == [
        ("/v1/traces", "application/x-protobuf")
    ]
    assert b"record transaction" in received[0][2]


def test_per_event_spans_only_when_something_receives_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    provider = TracerProvider()
    monkeypatch.setattr(otel_trace, "get_tracer_provider", lambda: provider)
    assert not tracing.exporting()
    event = EventEnvelope(
        event_id=uuid.uuid4(), type="ledger.TransactionRecorded", schema_version=1,
        service="ledger", aggregate_id=uuid.uuid4(), aggregate_version=1,
        occurred_at=dt.datetime.now(dt.UTC), position=1,
        trace_context={"traceparent": f"00-{'a' * 32}-{'b' * 16}-01"}, payload={},
    )  # fmt: skip
    assert tracing.publish_span("t", event) is None
    with tracing.deciding("p", event):  # no span, but the source's context carries on
        assert context.current().trace_context == event.trace_context
        assert context.current().causation_id == str(event.event_id)
    provider.add_span_processor(SimpleSpanProcessor(InMemorySpanExporter()))
    assert tracing.exporting()
    span = tracing.publish_span("t", event)
    assert span is not None
    assert format(span.get_span_context().trace_id, "032x") == "a" * 32
    span.end()
    monkeypatch.setattr(otel_trace, "get_tracer_provider", lambda: object())
    assert not tracing.exporting()  # the API's default provider: nothing is recorded
