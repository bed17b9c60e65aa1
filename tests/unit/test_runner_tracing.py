"""The projection runner links its spans to the traces that wrote the events."""

from __future__ import annotations

import datetime as dt
import uuid

from shared.envelope import EventEnvelope
from shared.runner import MAX_LINKS, trace_links

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


def envelope(trace_context: dict[str, str]) -> EventEnvelope:
    """A minimal envelope with the given trace context."""
    return EventEnvelope(
        event_id=uuid.uuid4(),
        type="ledger.TransactionRecorded",
        schema_version=2,
        service="ledger",
        aggregate_id=uuid.uuid4(),
        aggregate_version=1,
        occurred_at=dt.datetime.now(dt.UTC),
        position=1,
        trace_context=trace_context,
        payload={},
    )


def test_links_follow_w3c_trace_context() -> None:
    good = envelope({"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"})
    links = trace_links([good, envelope({}), envelope({"traceparent": "garbage"})])
    assert len(links) == 1
    assert format(links[0].context.trace_id, "032x") == TRACE_ID


def test_links_are_bounded() -> None:
    many = [envelope({"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"})] * (MAX_LINKS + 5)
    assert len(trace_links(many)) == MAX_LINKS
