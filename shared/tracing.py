"""One trace per user request, across its asynchronous part.

The HTTP span (gateway, then the service) is the root. Appending events opens an ``append``
span whose context is stored with each event. The relay opens a ``publish`` span per event, as
a child of that stored context, and sends its context in the Kafka headers. Each consumer opens a
span per event, as a child of what the header (or, read from the store, the event) carries:
``apply <projection>`` (timed as the batch it was applied in, which links back to it) or
``decide <policy>``. The events a policy's commands append carry that span's context onward (and
the source event as their causation), so a chain such as upload → read → record stays one trace.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Iterator, Mapping, Sequence

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import SpanProcessor

from shared import context
from shared.envelope import EventEnvelope
from shared.observability import current_trace_context, tracer

TRACE_HEADERS = ("traceparent", "tracestate")


def exporting() -> bool:
    """Whether ended spans go anywhere (an exporter or a test's processor is installed). The
    per-event spans of the relay and the consumers cost about a fifth of a worker's CPU per
    write; with nothing to receive them they are not made (the contexts still flow)."""
    provider = trace.get_tracer_provider()
    active = getattr(provider, "_active_span_processor", None)
    if active is None:
        return False
    return bool(getattr(active, "_span_processors", True))


def parent_of(carrier: Mapping[str, str]) -> Context | None:
    """The context a W3C carrier names (None when it names none)."""
    if not carrier.get("traceparent"):
        return None
    return propagate.extract(dict(carrier))


def carrier_of(span: trace.Span) -> dict[str, str]:
    """The W3C carrier of one span."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=trace.set_span_in_context(span))
    return carrier


def from_headers(headers: Sequence[tuple[str, bytes]] | None) -> dict[str, str]:
    """The trace context a Kafka record's headers carry."""
    found = {k: v.decode("latin-1") for k, v in headers or () if k in TRACE_HEADERS}
    return found if found.get("traceparent") else {}


def publish_span(topic: str, event: EventEnvelope) -> trace.Span | None:
    """A producer span for one event, a child of the context stored with it (or None)."""
    parent = parent_of(event.trace_context)
    if parent is None or not exporting():
        return None
    return tracer().start_span(
        f"publish {topic}",
        context=parent,
        kind=trace.SpanKind.PRODUCER,
        attributes={"messaging.destination.name": topic, "mita.event_type": event.type},
    )


@contextlib.contextmanager
def appending(service: str) -> Iterator[None]:
    """Around an append in a traced request: the events store this span's context."""
    if not trace.get_current_span().get_span_context().is_valid or not exporting():
        yield
        return
    with (
        tracer().start_as_current_span(f"append {service}", attributes={"mita.service": service}),
        context.use(trace_context=current_trace_context()),
    ):
        yield


@contextlib.contextmanager
def deciding(policy: str, event: EventEnvelope) -> Iterator[None]:
    """A policy's decision on one event: a span in the event's trace, and the context (trace,
    correlation, causation, user) its commands' events are stored with."""
    caused = dataclasses.replace(
        context.current(),
        correlation_id=event.correlation_id or str(event.event_id),
        causation_id=str(event.event_id),
        user_id=str(event.user_id) if event.user_id else None,
    )
    if not exporting():  # no span: the commands' events carry the source's context on
        with context.use(dataclasses.replace(caused, trace_context=dict(event.trace_context))):
            yield
        return
    with (
        tracer().start_as_current_span(
            f"decide {policy}",
            context=parent_of(event.trace_context),
            kind=trace.SpanKind.CONSUMER,
            attributes={"mita.consumer": policy, "mita.event_type": event.type},
        ),
        context.use(dataclasses.replace(caused, trace_context=current_trace_context())),
    ):
        yield


def mark_applied(
    consumer: str, events: Sequence[EventEnvelope], batch: trace.Span, began_ns: int
) -> None:
    """An ``apply`` span per traced event, timed as its batch and linked to it."""
    if not exporting():
        return
    batch_context = batch.get_span_context()
    link = [trace.Link(batch_context)] if batch_context.is_valid else []
    for event in events:
        parent = parent_of(event.trace_context)
        if parent is None:
            continue
        span = tracer().start_span(
            f"apply {consumer}",
            context=parent,
            kind=trace.SpanKind.CONSUMER,
            links=link,
            start_time=began_ns,
            attributes={"mita.consumer": consumer, "mita.event_type": event.type},
        )
        span.end()


def otlp_processor() -> SpanProcessor | None:
    """A batching OTLP/HTTP exporter when ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or the traces one)
    is set; None otherwise (spans then stay in the process)."""
    names = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    if not any(os.environ.get(n) for n in names):
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    return BatchSpanProcessor(OTLPSpanExporter())
