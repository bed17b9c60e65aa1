"""Relay and projection throughput on one pre-appended ledger store (then its rebuilds)."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from bench.analysts import bench_analysts
from bench.breakdown import relay_stages
from bench.profiling import Profiler
from bench.rebuild import bench_rebuild
from bench.report import Report, Target, fmt_num, progress, rate
from bench.store import preappend
from services.ledger.projections import TransactionsProjection
from shared import db, kafka
from shared.relay import Relay
from shared.runner import ProjectionRunner
from shared.settings import MitaSettings

RELAY_TARGET = 5_000.0
PROJECTION_TARGET = 5_000.0


async def bench_relay(settings: MitaSettings, report: Report, n: int, prof: Profiler) -> None:
    """Time ``Relay.drain`` publishing ``n`` stored events to the broker."""
    relay = Relay(settings, "ledger")
    conn = await db.connect(settings.database_url)
    try:
        await relay._setup(conn)
        await kafka.ensure_topics(
            settings.kafka_bootstrap,
            [relay.topic],
            settings.kafka_partitions,
            settings.kafka_replication_factor,
        )
        await relay._ensure_producer()  # connecting is not publishing: keep it off the clock
        with prof.section("relay.drain"):
            start = time.perf_counter()
            sent = await relay.drain(conn)
            elapsed = time.perf_counter() - start
        stages = await relay_stages(conn, settings, "ledger", elapsed)
    finally:
        await relay._drop_producer()
        await conn.close()
    events_per_s = rate(sent, elapsed)
    report.add(
        "relay",
        "Relay.drain -> broker",
        fmt_num(events_per_s),
        "ev/s",
        f"{sent}/{n} events in {elapsed:.2f}s, relay_batch_size={settings.relay_batch_size}",
    )
    report.add("relay", "  stage cost", f"{stages.total():.0f}", "us/ev", stages.describe())
    target = Target("relay throughput", events_per_s, RELAY_TARGET, "ev/s")
    report.target(target)
    if not target.met:
        report.note(stages.budget_note("relay", RELAY_TARGET))


async def wait_assigned(consumer: Any, within: float = 30.0) -> None:
    """Wait until the consumer group gave this member its partitions."""
    deadline = time.monotonic() + within
    while not consumer.assignment():
        if time.monotonic() > deadline:
            raise TimeoutError("consumer group never assigned partitions")
        await asyncio.sleep(0.05)


async def bench_projection(settings: MitaSettings, report: Report, n: int, prof: Profiler) -> None:
    """Consume the relayed topic and feed batches to ``ProjectionRunner.apply_messages``."""
    projection = TransactionsProjection(settings.schema_for("ledger"))
    runner = ProjectionRunner(settings, projection)
    conn = await db.connect(settings.database_url)
    group = f"{settings.topic_prefix}.bench.{uuid.uuid4().hex[:6]}"
    consumer = kafka.consumer(  # as ProjectionRunner builds it, in a group of its own
        settings.kafka_bootstrap,
        runner.topics,
        group,
        settings.kafka_fetch_max_wait_ms,
        settings.kafka_session_timeout_ms,
    )
    applied = received = 0
    apply_seconds = 0.0
    start = last = 0.0
    try:
        await runner.setup(conn)
        await consumer.start()
        await wait_assigned(consumer)
        idle_since = time.monotonic()
        while applied < n and time.monotonic() - idle_since < 10.0:
            batches = await consumer.getmany(
                timeout_ms=200, max_records=settings.projection_batch_size
            )
            messages = [m for msgs in batches.values() for m in msgs]
            if not messages:
                continue
            if not start:
                start = time.perf_counter()  # group join and first fetch are not throughput
            received += len(messages)
            with prof.section("apply_messages"):
                t0 = time.perf_counter()
                applied += await runner.apply_messages(conn, messages)
                apply_seconds += time.perf_counter() - t0
            last = time.perf_counter()
            idle_since = time.monotonic()
    finally:
        await consumer.stop()
        await conn.close()
    loop_rate = rate(applied, last - start) if start else float("nan")
    report.add(
        "projection",
        "consume + apply_messages",
        fmt_num(loop_rate),
        "ev/s",
        f"{applied}/{n} applied, {received} received, "
        f"projection_batch_size={settings.projection_batch_size}",
    )
    report.add(
        "projection",
        "apply_messages alone",
        fmt_num(rate(applied, apply_seconds)),
        "ev/s",
        f"{apply_seconds:.2f}s inside apply_messages of {last - start:.2f}s wall",
    )
    target = Target("projection apply throughput", loop_rate, PROJECTION_TARGET, "ev/s")
    report.target(target)
    if not target.met and start:
        share = apply_seconds / (last - start) if last > start else 1.0
        report.note(
            f"projection: {share:.0%} of the wall time was inside apply_messages, the rest "
            "in the consumer (fetch, getmany)"
        )


async def run(settings: MitaSettings, report: Report, n: int, prof: Profiler) -> None:
    """Pre-append ``n`` events, then measure relay, projection and rebuild on them."""
    progress(f"relay/projection/rebuild: pre-appending {n} ledger events")
    mix = await asyncio.to_thread(preappend, settings, n)
    report.add(
        "store",
        "pre-appended ledger events",
        f"{mix.total:,}",
        "events",
        f"{mix.describe()}; the relay, projection and rebuild phases all read this store",
    )
    progress("relay: draining to the broker")
    await bench_relay(settings, report, n, prof)
    progress("projection: consuming and applying")
    await bench_projection(settings, report, n, prof)
    await bench_rebuild(settings, report, mix, prof)
    await bench_analysts(settings, report, mix)
