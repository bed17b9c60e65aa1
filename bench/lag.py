"""End-to-end lag: append -> relay -> broker -> projection runner -> read model visible."""

from __future__ import annotations

import asyncio
import contextlib
import math
import queue
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from bench.append import CATEGORIES, ledger_app
from bench.report import Report, Target, fmt_num, progress
from services.ledger.application import LedgerApplication
from services.ledger.projections import TransactionsProjection
from shared import db
from shared.relay import Relay
from shared.runner import ProjectionRunner
from shared.settings import MitaSettings

LAG_TARGET_MS = 150.0
Sent = tuple[uuid.UUID, float, float]  # aggregate id, wall time before save(), after save()


@dataclass
class Samples:
    """What the appender and the poller observed."""

    sent: dict[uuid.UUID, tuple[float, float]] = field(default_factory=dict)
    visible: dict[uuid.UUID, float] = field(default_factory=dict)
    max_slip: float = 0.0


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (NaN for no values)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)]


def append_steadily(
    app: LedgerApplication, rate_hz: float, count: int, out: queue.SimpleQueue[Sent]
) -> float:
    """Record ``count`` transactions at a fixed rate (runs in a thread); return max slip."""
    user = uuid.uuid4()
    start = time.monotonic()
    max_slip = 0.0
    for i in range(count):
        due = start + i / rate_hz
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        else:
            max_slip = max(max_slip, -delay)
        before = time.time()
        tx_id, _ = app.record_transaction(
            user_id=user,
            amount=Decimal(f"{i % 500 + 1}.25"),
            category=CATEGORIES[i % len(CATEGORIES)],
            description=f"lag probe {i}",
        )
        out.put((tx_id, before, time.time()))
    return max_slip


async def poll_visible(
    conn: AsyncConnection[DictRow],
    table: sql.Composed,
    inbox: queue.SimpleQueue[Sent],
    samples: Samples,
    done: asyncio.Event,
    interval: float = 0.002,
) -> None:
    """Poll the read model for appended ids until ``done`` and nothing is pending."""
    query = sql.SQL("SELECT id FROM {} WHERE id = ANY(%s)").format(table)
    pending: set[uuid.UUID] = set()
    while True:
        while not inbox.empty():
            tx_id, before, after = inbox.get()
            samples.sent[tx_id] = (before, after)
            pending.add(tx_id)
        if pending:
            cur = await conn.execute(query, (list(pending),))
            rows = await cur.fetchall()
            seen_at = time.time()
            await conn.commit()
            for row in rows:
                samples.visible[row["id"]] = seen_at
                pending.discard(row["id"])
        elif done.is_set():
            return
        await asyncio.sleep(interval)


async def sent_times(settings: MitaSettings, ids: set[uuid.UUID]) -> dict[uuid.UUID, float]:
    """Producer timestamps (relay send time) of the ids' messages, read back from the topic."""
    topic = settings.topic_for("ledger")
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False
    )
    found: dict[uuid.UUID, float] = {}
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        deadline = time.monotonic() + 10.0
        while len(found) < len(ids) and time.monotonic() < deadline:
            batches: dict[Any, list[Any]] = await consumer.getmany(timeout_ms=300)
            for msg in (m for msgs in batches.values() for m in msgs):
                key = uuid.UUID(msg.key.decode())
                if key in ids:
                    found[key] = msg.timestamp / 1000.0
    finally:
        await consumer.stop()
    return found


async def warm_up(
    app: LedgerApplication, conn: AsyncConnection[DictRow], table: sql.Composed
) -> float:
    """Append one event and wait until it is visible (topic, group assignment, first fetch)."""
    start = time.time()
    tx_id, _ = await asyncio.to_thread(
        app.record_transaction, user_id=uuid.uuid4(), amount=Decimal("1.00"), category="food"
    )
    query = sql.SQL("SELECT 1 FROM {} WHERE id = %s").format(table)
    while time.time() - start < 60.0:
        with contextlib.suppress(Exception):  # the table appears when the runner set up
            cur = await conn.execute(query, (tx_id,))
            found = await cur.fetchone()
            await conn.commit()
            if found:
                return time.time() - start
        await conn.rollback()
        await asyncio.sleep(0.01)
    raise TimeoutError("warm-up event never became visible")


async def run(
    settings: MitaSettings,
    report: Report,
    rate_hz: float,
    seconds: float,
    warm_seconds: float,
) -> None:
    """Run relay and runner as tasks, append steadily, and report visibility lag."""
    projection = TransactionsProjection(settings.schema_for("ledger"))
    table = projection.table("transactions")
    app = ledger_app(settings)
    stop = asyncio.Event()
    relay, runner = Relay(settings, "ledger"), ProjectionRunner(settings, projection)
    tasks = [asyncio.create_task(relay.run(stop)), asyncio.create_task(runner.run(stop))]
    conn = await db.connect(settings.database_url)
    try:
        progress("lag: waiting for the relay and the consumer group")
        first = await warm_up(app, conn, table)
        samples = await steady(app, conn, table, rate_hz, warm_seconds, seconds)
        sends = await sent_times(settings, set(samples.sent))
    finally:
        stop.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 15.0)
        await conn.close()
        app.close()
    summarise(report, samples, sends, settings, rate_hz, seconds, first)


async def steady(
    app: LedgerApplication,
    conn: AsyncConnection[DictRow],
    table: sql.Composed,
    rate_hz: float,
    warm_seconds: float,
    seconds: float,
) -> Samples:
    """A discarded warm-up run at the target rate, then the measured run; its samples."""
    inbox: queue.SimpleQueue[Sent] = queue.SimpleQueue()
    samples = Samples()
    for label, duration in (("warm", warm_seconds), ("measured", seconds)):
        progress(f"lag: {label} run, {rate_hz:.0f} ev/s for {duration:.0f}s")
        samples = Samples()
        done = asyncio.Event()
        poller = asyncio.create_task(poll_visible(conn, table, inbox, samples, done))
        count = int(rate_hz * duration)
        samples.max_slip = await asyncio.to_thread(append_steadily, app, rate_hz, count, inbox)
        done.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(poller), 15.0)
        poller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poller
    return samples


def split(
    samples: Samples, sends: dict[uuid.UUID, float]
) -> tuple[list[float], list[float], list[float], list[float]]:
    """(commit->visible, save latency, commit->relay send, relay send->visible) in ms."""
    lags = [
        (samples.visible[i] - after) * 1000
        for i, (_, after) in samples.sent.items()
        if i in samples.visible
    ]
    saves = [(after - before) * 1000 for before, after in samples.sent.values()]
    to_send = [(sends[i] - after) * 1000 for i, (_, after) in samples.sent.items() if i in sends]
    from_send = [(samples.visible[i] - sends[i]) * 1000 for i in sends if i in samples.visible]
    return lags, saves, to_send, from_send


def pcts(values: list[float], ps: tuple[int, ...] = (50, 95, 99)) -> str:
    """``a / b / c`` percentiles in ms."""
    return " / ".join(fmt_num(percentile(values, p), 1) for p in ps)


def summarise(
    report: Report,
    samples: Samples,
    sends: dict[uuid.UUID, float],
    settings: MitaSettings,
    rate_hz: float,
    seconds: float,
    first: float,
) -> None:
    """Turn raw samples into lag percentiles and a per-stage breakdown."""
    lags, saves, to_send, from_send = split(samples, sends)
    missing = len(samples.sent) - len(lags)
    section = "e2e lag"
    report.add(
        section,
        "load",
        f"{len(samples.sent)}",
        "events",
        f"{rate_hz:.0f} ev/s for {seconds:.0f}s, 1 event per save(), shipped settings "
        f"(runner kafka_fetch_max_wait_ms={settings.kafka_fetch_max_wait_ms}); first event "
        f"visible {first:.2f}s after start (startup, not counted)",
    )
    for p in (50, 95, 99):
        report.add(section, f"commit -> visible p{p}", fmt_num(percentile(lags, p), 1), "ms")
    report.add(
        section,
        "commit -> visible max",
        fmt_num(max(lags, default=math.nan), 1),
        "ms",
        f"{missing} never visible" if missing else "",
    )
    report.add(
        section,
        "save() p50 / p99 / max",
        f"{pcts(saves, (50, 99))} / {fmt_num(max(saves, default=math.nan), 1)}",
        "ms",
        f"not in the lag (clock starts when save() returns); schedule slip max "
        f"{samples.max_slip * 1000:.0f} ms",
    )
    for label, values in (("commit -> relay send", to_send), ("relay send -> visible", from_send)):
        report.add(
            section,
            f"{label} p50/p95/p99",
            pcts(values),
            "ms",
            "broker CreateTime (ms resolution)" if values else "no broker timestamps read back",
        )
    target = Target("e2e lag p95", percentile(lags, 95), LAG_TARGET_MS, "ms", higher=False)
    report.target(target)
    if not target.met and to_send and from_send:
        relay_part, consumer_part = percentile(to_send, 95), percentile(from_send, 95)
        side = (
            "relay (store -> broker)"
            if relay_part > consumer_part
            else ("projection runner (broker -> read model)")
        )
        report.note(
            f"e2e lag: p95 commit -> relay send {relay_part:.1f} ms, relay send -> visible "
            f"{consumer_part:.1f} ms: the {side} side holds the lag"
        )
