"""Fault tests: kills, broker loss and redelivery never lose or double-apply an event."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from psycopg import AsyncConnection
from psycopg.rows import DictRow

from services.ledger.projections import TransactionsProjection
from shared import watermarks
from shared.embedded import EmbeddedTansu, free_port
from shared.relay import Relay
from shared.runner import ProjectionRunner
from shared.settings import MitaSettings
from shared.sources import SourceTable
from tests.helpers import (
    drain,
    fold,
    ledger_app,
    read_model,
    relay_position,
    seed,
    settings_env,
    spawn,
    store_positions,
    tracked,
    wait_until,
)

pytestmark = pytest.mark.slow
PROJECTION = "ledger_transactions"


async def topic_positions(settings: MitaSettings, expected: set[int]) -> set[int]:
    """Read the ledger topic from the start until every expected position was seen."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
    await consumer.start()
    seen: set[int] = set()
    try:
        topic = settings.topic_for("ledger")
        parts = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in parts]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while not expected <= seen and loop.time() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for msgs in batch.values():
                for m in msgs:
                    seen.add(int(dict(m.headers)["mita-position"]))
    finally:
        await consumer.stop()
    return seen


async def run_projection_until(
    settings: MitaSettings, conn: AsyncConnection[DictRow], total: int
) -> ProjectionRunner:
    """Run the projection in-process until it tracked ``total`` events."""
    schema = settings.schema_for("ledger")
    runner = ProjectionRunner(settings, TransactionsProjection(schema))
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:

        async def done() -> bool:
            return await tracked(conn, schema, PROJECTION) == total

        await wait_until(done, 90, f"projection to track {total} events")
    finally:
        stop.set()
        await task
    return runner


async def test_relay_sigkilled_mid_stream_publishes_everything(
    settings: MitaSettings, conn: AsyncConnection[DictRow]
) -> None:
    """(1) SIGKILL the relay mid-stream, restart it: every event is on the broker."""
    app = ledger_app(settings)
    schema = settings.schema_for("ledger")
    ids = seed(app, [uuid.uuid4() for _ in range(4)], 900)
    positions = await store_positions(conn, schema)
    head = max(positions)
    env = settings_env(settings, MITA_RELAY_BATCH_SIZE="5")

    proc = spawn(["relay", "ledger"], env)

    async def started() -> bool:
        return await relay_position(conn, schema) > 0

    await wait_until(started, 60, "the relay to publish its first batch")
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(10) == -signal.SIGKILL
    mid = await relay_position(conn, schema)
    assert 0 < mid < head, "the kill must land mid-stream"

    proc = spawn(["relay", "ledger"], env)
    try:

        async def caught_up() -> bool:
            return await relay_position(conn, schema) == head

        await wait_until(caught_up, 90, "the restarted relay to reach the head")
    finally:
        proc.terminate()
        proc.wait(15)
    assert await topic_positions(settings, positions) >= positions

    await run_projection_until(settings, conn, len(positions))
    assert await read_model(conn, schema) == fold(app, ids)


async def test_projection_sigkilled_mid_batch_applies_each_event_once(
    settings: MitaSettings, conn: AsyncConnection[DictRow]
) -> None:
    """(2) SIGKILL the consumer after applying part of a batch: no loss, no double apply."""
    app = ledger_app(settings)
    schema = settings.schema_for("ledger")
    ids = seed(app, [uuid.uuid4() for _ in range(6)], 800)
    total = len(await store_positions(conn, schema))
    assert await drain(settings) == total

    crash_at = total // 2
    env = settings_env(
        settings,
        MITA_FAULT_CRASH_AFTER_APPLIED=str(crash_at),
        MITA_PROJECTION_BATCH_SIZE="100",
    )
    proc = spawn(["project", PROJECTION], env)
    assert proc.wait(120) == -signal.SIGKILL
    partial = await tracked(conn, schema, PROJECTION)
    assert 0 < partial < crash_at, "only whole batches before the crash are committed"
    state = await read_model(conn, schema)
    assert sum(t[2] for t in state["totals"].values()) == partial

    proc = spawn(["project", PROJECTION], settings_env(settings))
    try:

        async def complete() -> bool:
            return await tracked(conn, schema, PROJECTION) == total

        await wait_until(complete, 90, "the restarted consumer to apply every event")
    finally:
        proc.terminate()
        proc.wait(15)
    state = await read_model(conn, schema)
    assert state == fold(app, ids)
    assert sum(t[2] for t in state["totals"].values()) == total


async def watermark(conn: AsyncConnection[DictRow], schema: str) -> int:
    """The ledger_transactions runner's recorded watermark on the ledger store."""
    consumer = TransactionsProjection(schema)
    return await watermarks.recorded(conn, SourceTable("ledger", schema), consumer)


async def test_broker_restarted_empty_relay_republishes_the_backlog_only(
    settings: MitaSettings, conn: AsyncConnection[DictRow]
) -> None:
    """(3) The broker restarts empty: the relay goes back to the lowest consumer watermark,
    not to the start — the history is not published again — and projections end identical."""
    tansu = EmbeddedTansu(free_port())
    s = settings.model_copy(update={"kafka_bootstrap": tansu.start()})
    schema = s.schema_for("ledger")
    app = ledger_app(s)
    users = [uuid.uuid4() for _ in range(3)]
    relay = Relay(s, "ledger")
    runner = ProjectionRunner(s, TransactionsProjection(schema))
    stop = asyncio.Event()
    tasks = [asyncio.create_task(relay.run(stop)), asyncio.create_task(runner.run(stop))]
    try:
        ids = await asyncio.to_thread(seed, app, users, 300)
        first = max(await store_positions(conn, schema))

        async def recorded_first() -> bool:
            return await watermark(conn, schema) == first

        await wait_until(recorded_first, 90, "the first events to be projected and recorded")
        published_before = relay.published_total
        first_count = len(await store_positions(conn, schema))

        tansu.stop()
        tansu.start()  # same port, memory storage: every topic and offset is gone
        ids += await asyncio.to_thread(seed, app, users, 200)
        total = len(await store_positions(conn, schema))

        async def applied_all() -> bool:
            return await tracked(conn, schema, PROJECTION) == total

        await wait_until(applied_all, 120, "every event after the broker restart")
        again = relay.published_total - published_before
        assert relay.rewound_to is not None, "the relay saw the broker lose its topic"
        assert relay.rewound_to >= first, "it went back to the watermark, not to the start"
        assert total - first_count <= again < total, "the backlog, not the history"
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        tansu.stop()
    assert await relay_position(conn, schema) == max(await store_positions(conn, schema))
    assert await read_model(conn, schema) == fold(app, ids)


async def test_relay_sees_offsets_go_back_after_a_silent_broker_restart(
    settings: MitaSettings, conn: AsyncConnection[DictRow]
) -> None:
    """(3b) The producer reconnects to an emptied broker without an error: the offsets it is
    acknowledged go back, and the relay re-publishes from the lowest consumer watermark —
    everything some consumer has not applied yet, and not what all of them have."""
    tansu = EmbeddedTansu(free_port())
    s = settings.model_copy(update={"kafka_bootstrap": tansu.start()})
    schema = s.schema_for("ledger")
    app = ledger_app(s)
    users = [uuid.uuid4() for _ in range(3)]
    relay = Relay(s, "ledger")
    await relay._setup(conn)
    source = SourceTable("ledger", schema)
    try:
        seed(app, users, 120)
        await relay.reconcile_with_broker(conn)
        first = await relay.drain(conn)
        positions = await store_positions(conn, schema)
        assert first == len(positions)
        # Two consumers: one has applied up to the 60th event, the other up to the 100th.
        await watermarks.setup_registry(conn, schema)
        slow, fast = TransactionsProjection(schema), TransactionsProjection(f"{schema}_x")
        await watermarks.record(conn, source, slow, sorted(positions)[59])
        await watermarks.record(conn, source, fast, sorted(positions)[99])
        tansu.stop()
        tansu.start()
        seed(app, users, 30)
        stored = set(await store_positions(conn, schema))

        async def drained() -> bool:
            # The first sends may fail while the producer reconnects; the relay loop retries.
            with contextlib.suppress(Exception):
                await relay.drain(conn)
            return await relay_position(conn, schema) == max(stored)

        await wait_until(drained, 60, "the relay to publish after the restart")
        assert relay.rewound_to == sorted(positions)[59]
        wanted = {p for p in stored if p > sorted(positions)[59]}
        seen = await topic_positions(s, wanted)
        assert wanted <= seen
        assert not seen & set(sorted(positions)[:50]), "what every consumer applied stays out"
    finally:
        await relay._drop_producer()
        tansu.stop()


async def test_a_consumer_reads_its_history_from_the_store(
    settings: MitaSettings, conn: AsyncConnection[DictRow]
) -> None:
    """(3c) A new consumer (nothing of it in the broker, no relay running) applies the store's
    history straight from the store and records its watermark; started again, it reads
    nothing twice."""
    s = settings  # its broker holds nothing of this schema's topics: no relay runs here
    schema = s.schema_for("ledger")
    app = ledger_app(s)
    users = [uuid.uuid4() for _ in range(2)]
    ids = await asyncio.to_thread(seed, app, users, 150)
    total = len(await store_positions(conn, schema))
    for attempt in range(2):
        runner = ProjectionRunner(s, TransactionsProjection(schema))
        stop = asyncio.Event()
        task = asyncio.create_task(runner.run(stop))
        try:
            await asyncio.wait_for(runner.assigned.wait(), 60)

            async def done() -> bool:
                return await watermark(conn, schema) == max(await store_positions(conn, schema))

            await wait_until(done, 60, "the watermark to reach the store head")
        finally:
            stop.set()
            await task
        assert runner.caught_up_from_store == (total if attempt == 0 else 0)
        assert runner.consumed_total == 0, "nothing came through the broker"
    assert await tracked(conn, schema, PROJECTION) == total
    assert await read_model(conn, schema) == fold(app, ids)


async def test_same_event_delivered_twice_changes_nothing(
    settings: MitaSettings, conn: AsyncConnection[DictRow]
) -> None:
    """(4) Redelivery of already applied events is a no-op."""

    app = ledger_app(settings)
    schema = settings.schema_for("ledger")
    ids = seed(app, [uuid.uuid4() for _ in range(2)], 150)
    total = len(await store_positions(conn, schema))
    assert await drain(settings) == total
    await run_projection_until(settings, conn, total)
    before = await read_model(conn, schema)
    assert before == fold(app, ids)

    # Publish every event a second time (as a relay crash before its position update would).
    assert await drain(settings, from_start=True) == total

    runner = ProjectionRunner(settings, TransactionsProjection(schema))
    # A fresh consumer group reads the topic from the start: every event arrives twice.
    runner.group_id += ".redelivery"
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:

        async def redelivered() -> bool:
            return runner.consumed_total >= 2 * total

        await wait_until(redelivered, 90, "the duplicates to be consumed")
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await task
    assert runner.applied_total == 0
    assert await tracked(conn, schema, PROJECTION) == total
    assert await read_model(conn, schema) == before
