"""One trace per user request, its asynchronous part included (shared.tracing), recorded by
an in-memory exporter: "create transaction → calendar updated" and "upload receipt →
transaction recorded" each form one connected tree of spans under the caller's trace."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from bench.receipts import encoded
from shared.observability import init_tracing
from tests.conftest import Infra
from tests.e2e.conftest import Stack, journey_stack_for_ocr
from tests.e2e.test_app_calls import calendar_day, data
from tests.e2e.test_receipts import app_upload, onboarded, receipt_spec
from tests.helpers import wait_until


@pytest.fixture
def exported() -> Iterator[InMemorySpanExporter]:
    """Every span this process ends during the test."""
    init_tracing("e2e")
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    exporter.shutdown()  # drops what later tests end


def caller() -> tuple[str, dict[str, str]]:
    """A fresh trace id and the caller's traceparent header that starts it."""
    trace_id = secrets.token_hex(16)
    return trace_id, {"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"}


def spans_of(exporter: InMemorySpanExporter, trace_id: str) -> list[ReadableSpan]:
    """The spans of one trace."""
    wanted = int(trace_id, 16)
    return [s for s in exporter.get_finished_spans() if s.context.trace_id == wanted]


async def until_spans(
    exporter: InMemorySpanExporter, trace_id: str, names: list[str], seconds: float = 30
) -> list[ReadableSpan]:
    """The trace once it holds a span starting with each of ``names`` (polled)."""

    async def complete() -> bool:
        have = [s.name for s in spans_of(exporter, trace_id)]
        return all(any(h.startswith(n) for h in have) for n in names)

    await wait_until(complete, seconds, f"spans {names}")
    return spans_of(exporter, trace_id)


def assert_one_tree(spans: list[ReadableSpan]) -> dict[str, Any]:
    """Every span's parent is in the trace but the gateway's (its parent is the caller's)."""
    ids = {s.context.span_id for s in spans}
    roots = [s for s in spans if s.parent is None or s.parent.span_id not in ids]
    assert len(roots) == 1, [
        (s.name, s.kind, s.resource.attributes.get("service.name"), s.parent) for s in roots
    ]
    assert roots[0].kind == trace.SpanKind.SERVER
    by_id = {s.context.span_id: s for s in spans}

    def path(span: ReadableSpan) -> list[str]:
        names = [span.name]
        while span.parent is not None and span.parent.span_id in by_id:
            span = by_id[span.parent.span_id]
            names.append(span.name)
        return names[::-1]

    return {s.name: path(s) for s in spans}


async def test_create_transaction_to_calendar_updated_is_one_trace(
    stack: Stack, exported: InMemorySpanExporter
) -> None:
    headers = await onboarded(stack)
    today = dt.datetime.now(dt.UTC).date()
    before = (await calendar_day(stack, headers, today))["spent"]
    trace_id, parent = caller()
    body = {"amount": 12.5, "category": "food", "spent_at": dt.datetime.now(dt.UTC).isoformat()}
    answer = await stack.client.post("/api/transactions/", json=body, headers={**headers, **parent})
    data(answer, 201)

    async def counted() -> bool:
        day = await calendar_day(stack, headers, today)
        return bool(day["spent"] == before + Decimal("12.5"))

    await wait_until(counted, 30, "the calendar")
    spans = await until_spans(
        exported,
        trace_id,
        ["POST /api/transactions", "append ledger", "publish ", "apply budget_days"],
    )
    paths = assert_one_tree(spans)
    chain = paths["apply budget_days"]
    assert chain[0].startswith("POST /api/transactions")  # the gateway
    assert [n.split()[0] for n in chain[1:]].count("POST") == 1  # the ledger's own span
    assert chain[-3] == "append ledger"  # the ledger stores the context of this span
    assert chain[-2] == f"publish {stack.ledger_settings.topic_for('ledger')}"


async def test_upload_receipt_to_transaction_recorded_is_one_trace(
    infra: Infra, exported: InMemorySpanExporter
) -> None:
    async with journey_stack_for_ocr(infra) as stack:
        headers = await onboarded(stack)
        spec = receipt_spec(dt.datetime.now(dt.UTC).date())
        trace_id, parent = caller()
        answer = await stack.client.post(
            "/api/transactions/receipt",
            files=app_upload(encoded(spec, rng=random.Random(3))),
            data={"auto_record": "true"},
            headers={**headers, **parent},
        )
        data(answer)

        async def recorded() -> bool:
            listed = data(await stack.client.get("/api/transactions/", headers=headers))
            return len(listed) == 1

        await wait_until(recorded, 30, "the automatic transaction")
        spans = await until_spans(
            exported,
            trace_id,
            ["POST /api/transactions/receipt", "append ocr", "decide ocr_reader",
             "decide ledger_receipt_recording", "append ledger"],
        )  # fmt: skip
    paths = assert_one_tree(spans)
    recorded_at = paths["append ledger"]
    assert "decide ledger_receipt_recording" in recorded_at
    assert "decide ocr_reader" in recorded_at
    assert recorded_at.index("decide ocr_reader") < recorded_at.index(
        "decide ledger_receipt_recording"
    )
