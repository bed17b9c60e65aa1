"""Relay → broker → projection runner on real servers; dead letters; upcasting in Postgres."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from decimal import Decimal

from aiokafka import AIOKafkaConsumer, TopicPartition
from eventsourcing.persistence import StoredEvent
from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from services.ledger.domain import Transaction
from services.ledger.projections import TransactionsProjection
from shared import kafka
from shared.envelope import EventEnvelope, EventType
from shared.projections import wait_for_position
from shared.relay import Relay
from shared.runner import ProjectionRunner
from shared.settings import MitaSettings
from shared.store import make_mapper
from shared.wake import Wakeups
from tests.helpers import drain, fold, ledger_app, read_model, seed, tracked, wait_until

PROJECTION = "ledger_transactions"


async def read_topic(bootstrap: str, topic: str, count: int) -> list[tuple[int, bytes, bytes]]:
    """Read ``count`` messages of ``topic`` from the start as (partition, key, value)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    out: list[tuple[int, bytes, bytes]] = []
    try:
        parts = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in parts]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while len(out) < count and loop.time() < deadline:
            for tp, msgs in (await consumer.getmany(timeout_ms=500)).items():
                out += [(tp.partition, m.key, m.value) for m in msgs]
    finally:
        await consumer.stop()
    return out


async def test_relay_publishes_keyed_envelopes_in_aggregate_order(settings: MitaSettings) -> None:
    """Each event is an envelope keyed by aggregate id; an aggregate's versions stay ordered."""
    app = ledger_app(settings)
    ids = seed(app, [uuid.uuid4()], 30)
    total = app.head_position()
    assert await drain(settings) == total
    assert await drain(settings) == 0, "nothing is published twice once acknowledged"
    messages = await read_topic(settings.kafka_bootstrap, settings.topic_for("ledger"), total)
    assert len(messages) == total
    seen: dict[uuid.UUID, list[int]] = {}
    partition_of: dict[uuid.UUID, int] = {}
    for partition, key, value in messages:
        env = EventEnvelope.from_bytes(value)
        assert key == str(env.aggregate_id).encode()
        assert partition_of.setdefault(env.aggregate_id, partition) == partition
        seen.setdefault(env.aggregate_id, []).append(env.aggregate_version)
        assert env.service == "ledger"
        assert env.type in {
            "ledger.TransactionRecorded",
            "ledger.TransactionAmended",
            "ledger.TransactionDeleted",
        }
        if env.type == "ledger.TransactionRecorded":
            assert isinstance(env.payload["amount"], str), "money travels as an exact string"
    assert set(seen) == set(ids)
    assert all(versions == sorted(versions) for versions in seen.values())


class PoisonProjection(TransactionsProjection):
    """Fails on one aggregate, as a bug in a projection would."""

    poison: uuid.UUID | None = None

    async def apply_many(self, conn: AsyncConnection[DictRow], events: list[EventEnvelope]) -> None:
        """Raise on the poisoned aggregate."""
        if any(e.aggregate_id == self.poison for e in events):
            raise RuntimeError("projection bug")
        await super().apply_many(conn, events)


async def test_poison_events_are_dead_lettered_and_the_runner_continues(
    settings: MitaSettings, conn: AsyncConnection[DictRow]
) -> None:
    """Bounded retries, then the dead-letter topic with original coordinates; others apply.
    The runner reads the stored history from the store (the poison event's coordinates name
    the store and its position), the undecodable message comes through the topic."""
    settings = settings.model_copy(update={"projection_max_retries": 1})
    app = ledger_app(settings)
    schema = settings.schema_for("ledger")
    poisoned, _ = app.record_transaction(
        user_id=uuid.uuid4(), amount=Decimal("5.00"), category="food"
    )
    ids = seed(app, [uuid.uuid4()], 20)
    await drain(settings)
    producer = kafka.producer(settings.kafka_bootstrap)
    await producer.start()
    await producer.send_and_wait(settings.topic_for("ledger"), value=b"not json", key=b"x")
    await producer.stop()

    projection = PoisonProjection(schema)
    projection.poison = poisoned
    runner = ProjectionRunner(settings, projection)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    total = app.head_position()
    try:

        async def all_tracked() -> bool:
            done = await tracked(conn, schema, PROJECTION) == total
            return done and runner.dead_lettered == 2

        await wait_until(all_tracked, 60, "the runner to get past both poison messages")
    finally:
        stop.set()
        await task
    assert runner.dead_lettered == 2
    state = await read_model(conn, schema)
    assert poisoned not in state["rows"]
    expected = fold(app, ids)
    assert {i: state["rows"][i] for i in ids} == expected["rows"]

    dead = await read_topic(settings.kafka_bootstrap, settings.dead_letter_topic(PROJECTION), 2)
    assert len(dead) == 2
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
    await consumer.start()
    tp = TopicPartition(settings.dead_letter_topic(PROJECTION), 0)
    consumer.assign([tp])
    await consumer.seek_to_beginning(tp)
    batch = await consumer.getmany(tp, timeout_ms=5000)
    await consumer.stop()
    coords = [json.loads(dict(m.headers)["mita-dead-letter"]) for m in batch[tp]]
    assert {c["topic"] for c in coords} == {settings.topic_for("ledger"), "store:ledger"}
    assert all(isinstance(c["offset"], int) and "error" in c for c in coords)
    stored = next(c for c in coords if c["topic"] == "store:ledger")
    assert (stored["position"], stored["offset"], stored["service"]) == (1, 1, "ledger")
    undecodable = next(c for c in coords if c["topic"] != "store:ledger")
    assert undecodable["position"] is None


async def test_read_your_writes_waits_for_the_position(
    settings: MitaSettings, conn: AsyncConnection[DictRow]
) -> None:
    """A write's position becomes visible within the bound; an unknown one times out."""
    app = ledger_app(settings)
    schema = settings.schema_for("ledger")
    stop = asyncio.Event()
    relay = Relay(settings, "ledger")
    runner = ProjectionRunner(settings, TransactionsProjection(schema))
    tasks = [asyncio.create_task(relay.run(stop)), asyncio.create_task(runner.run(stop))]
    try:
        user = uuid.uuid4()
        tx_id, position = await asyncio.to_thread(
            app.record_transaction, user_id=user, amount=Decimal("42.00"), category="food"
        )
        assert await wait_for_position(conn, schema, PROJECTION, "ledger", position, 30)
        state = await read_model(conn, schema)
        assert state["rows"][tx_id][1] == Decimal("42.00")
        assert state["totals"][user] == (1, Decimal("42.00"), 1)
        assert not await wait_for_position(conn, schema, PROJECTION, "ledger", position + 99, 0.2)
    finally:
        stop.set()
        await asyncio.gather(*tasks)


async def test_stored_v1_event_is_read_as_v2(settings: MitaSettings) -> None:
    """Upcasting: a v1 TransactionRecorded (no merchant) in Postgres reads as v2, then v3."""
    app = ledger_app(settings)
    tx_id = uuid.uuid4()
    mapper = make_mapper()
    state = {
        "timestamp": dt.datetime.now(dt.UTC),
        "originator_topic": "services.ledger.domain:Transaction",
        "user_id": uuid.uuid4(),
        "amount": Decimal("12.50"),
        "currency": "EUR",
        "category": "food",
        "spent_at": dt.datetime.now(dt.UTC),
        "description": "lunch",
    }
    v1 = StoredEvent(
        originator_id=tx_id,
        originator_version=1,
        topic="services.ledger.domain:Transaction.Recorded",
        state=mapper.transcoder.encode(state),
    )
    app.recorder.insert_events([v1])
    tx: Transaction = app.repository.get(tx_id)
    assert tx.merchant is None
    assert tx.amount == Decimal("12.50")
    await drain(settings)
    (msg,) = await read_topic(settings.kafka_bootstrap, settings.topic_for("ledger"), 1)
    env = EventEnvelope.from_bytes(msg[2])
    # v1 → v2 (merchant) → v3 (the object) → v4 (confidence) → v5 (receipt link)
    assert env.schema_version == 5
    assert env.payload["merchant"] is None
    assert env.payload["receipt_url"] is None
    assert (env.payload["tags"], env.payload["is_recurring"]) == ([], False)
    assert env.payload["amount"] == "12.50"
    schema = EventType("ledger.TransactionRecorded", "ledger", type(tx).Recorded).json_schema()
    assert "merchant" in schema["properties"]


async def test_an_idle_consumer_pauses_and_a_store_append_wakes_it(
    settings: MitaSettings, conn: AsyncConnection[DictRow]
) -> None:
    """Paused consumers fetch nothing; the store's NOTIFY (one shared LISTEN) resumes them."""
    quick = settings.model_copy(
        update={"consumer_pause_after_seconds": 0.2, "consumer_idle_poll_seconds": 600.0}
    )
    app = ledger_app(quick)
    schema = quick.schema_for("ledger")
    wakeups = Wakeups(quick.database_url)
    stop = asyncio.Event()
    relay = Relay(quick, "ledger", wakeups)
    runner = ProjectionRunner(quick, TransactionsProjection(schema), wakeups)
    tasks = [asyncio.create_task(relay.run(stop)), asyncio.create_task(runner.run(stop))]
    try:
        await asyncio.wait_for(runner.assigned.wait(), 30)

        async def paused() -> bool:
            return runner.paused_total >= 1

        await wait_until(paused, 30, "the idle runner to pause")
        pauses = runner.paused_total
        _, position = await asyncio.to_thread(
            app.record_transaction, user_id=uuid.uuid4(), amount=Decimal("9.99"), category="food"
        )
        # The safety poll is 10 minutes away: only the append's NOTIFY can resume it in time.
        assert await wait_for_position(conn, schema, PROJECTION, "ledger", position, 10)
        await wait_until(paused, 30, "it to pause again")
        assert runner.paused_total >= pauses
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        await wakeups.close()


async def test_wakeups_wake_every_waiter_of_a_channel_and_survive_a_close(
    settings: MitaSettings,
) -> None:
    wakeups = Wakeups(settings.database_url)
    channel = f"mita_test_{uuid.uuid4().hex[:12]}"
    first, second = wakeups.subscribe(channel), wakeups.subscribe(channel)
    other = wakeups.subscribe(f"{channel}_other")
    try:
        # Subscribing wakes everyone once (nothing is missed across a (re)connect).
        await asyncio.wait_for(first.wait(), 10)
        for event in (first, second, other):
            event.clear()
        notifier = await AsyncConnection.connect(settings.database_url, autocommit=True)
        try:

            async def woken() -> bool:
                await notifier.execute(sql.SQL("NOTIFY {}").format(sql.Identifier(channel)))
                return first.is_set() and second.is_set()

            await wait_until(woken, 10, "both waiters to wake")
        finally:
            await notifier.close()
        assert not other.is_set()
        wakeups.unsubscribe(second)
    finally:
        await wakeups.close()
