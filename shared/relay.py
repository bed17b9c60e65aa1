"""Outbox relay: publish every stored event of one service to Kafka, at least once.

When the broker loses what was published (an embedded broker keeps topics in memory), the
relay goes back only to the lowest watermark its consumers recorded (``shared.watermarks``):
the backlog, not the history."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from aiokafka import AIOKafkaProducer
from aiokafka.structs import RecordMetadata
from eventsourcing.persistence import StoredEvent
from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from shared import db, kafka, watermarks
from shared.envelope import EventEnvelope
from shared.settings import MitaSettings
from shared.sources import SourceTable
from shared.store import to_envelope
from shared.tracing import carrier_of, publish_span
from shared.wake import Wakeups

log = logging.getLogger(__name__)


IDLE_WAIT_SECONDS = 2.0


async def read_stored(
    conn: AsyncConnection[DictRow], source: SourceTable, after: int, limit: int
) -> list[tuple[int, StoredEvent]]:
    """Read up to ``limit`` stored events with notification id > ``after``, in order."""
    query = sql.SQL(
        "SELECT notification_id, originator_id, originator_version, topic, state "
        "FROM {} WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
    ).format(source.ident())
    cur = await conn.execute(query, (after, limit))
    return [(int(r["notification_id"]), stored_of(r)) for r in await cur.fetchall()]


def stored_of(row: DictRow) -> StoredEvent:
    """A stored event from a row of its store's events table."""
    return StoredEvent(
        originator_id=row["originator_id"],
        originator_version=int(row["originator_version"]),
        topic=row["topic"],
        state=bytes(row["state"]),
    )


def kafka_headers(
    env: EventEnvelope, trace_context: dict[str, str] | None = None
) -> list[tuple[str, bytes]]:
    """Headers that let consumers route and trace without parsing the value (the publish
    span's ``trace_context`` when there is one, else the event's own)."""
    headers = [
        ("mita-type", env.type.encode()),
        ("mita-event-id", str(env.event_id).encode()),
        ("mita-service", env.service.encode()),
        ("mita-position", str(env.position).encode()),
    ]
    carried = env.trace_context if trace_context is None else trace_context
    headers += [(k, v.encode()) for k, v in carried.items()]
    return headers


class Relay:
    """Follows one service's notification log and publishes it to ``mita.<service>.events``."""

    def __init__(
        self, settings: MitaSettings, service: str, wakeups: Wakeups | None = None
    ) -> None:
        self.settings = settings
        self.service = service
        # Shared by every relay and runner of a process (one LISTEN connection); own otherwise.
        self.wakeups = wakeups or Wakeups(settings.database_url)
        self._own_wakeups = wakeups is None
        self.source = SourceTable(service, settings.schema_for(service))
        self.topic = settings.topic_for(service)
        self.published_total = 0
        self.rewound_to: int | None = None  # where the last broker loss sent us back to
        self._producer: AIOKafkaProducer | None = None
        self._conn: AsyncConnection[DictRow] | None = None
        # Highest offset the broker acknowledged per partition: one that goes back means the
        # broker restarted empty under us, which the probe alone sees only if asked in time.
        self._acked: dict[int, int] = {}

    # -- tracking -------------------------------------------------------------------------
    def _tracking(self) -> sql.Composed:
        return sql.SQL("{}.relay_position").format(sql.Identifier(self.source.schema))

    async def _setup(self, conn: AsyncConnection[DictRow]) -> None:
        await db.ensure_schema(conn, self.source.schema)
        async with conn.transaction():
            await conn.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} (topic text PRIMARY KEY, "
                    "position bigint NOT NULL DEFAULT 0, published bigint NOT NULL DEFAULT 0, "
                    "probe_partition int, probe_offset bigint, probe_event_id text, "
                    "updated_at timestamptz NOT NULL DEFAULT now())"
                ).format(self._tracking())
            )
            await conn.execute(
                sql.SQL("INSERT INTO {} (topic) VALUES (%s) ON CONFLICT DO NOTHING").format(
                    self._tracking()
                ),
                (self.topic,),
            )

    async def position(self, conn: AsyncConnection[DictRow]) -> tuple[int, int]:
        """Return (last published position, events published since the last reset)."""
        cur = await conn.execute(
            sql.SQL("SELECT position, published FROM {} WHERE topic = %s").format(self._tracking()),
            (self.topic,),
        )
        row = await cur.fetchone()
        await conn.commit()
        return (int(row["position"]), int(row["published"])) if row else (0, 0)

    async def _advance(
        self, conn: AsyncConnection[DictRow], position: int, count: int, probe: tuple[int, int, str]
    ) -> None:
        async with conn.transaction():
            await conn.execute(
                sql.SQL(
                    "UPDATE {} SET position = %s, published = published + %s, "
                    "probe_partition = %s, probe_offset = %s, probe_event_id = %s, "
                    "updated_at = now() WHERE topic = %s"
                ).format(self._tracking()),
                (position, count, *probe, self.topic),
            )

    async def _rewind(self, conn: AsyncConnection[DictRow]) -> int:
        """The broker lost what we published: go back to the lowest consumer watermark (what
        some consumer has not applied yet), not to the start; a consumer that never recorded
        one reads its history from the store. Return the position rewound to."""
        current, _ = await self.position(conn)
        low = await watermarks.lowest(conn, self.source.schema)
        target = current if low is None else min(low, current)
        async with conn.transaction():
            await conn.execute(
                sql.SQL(
                    "UPDATE {} SET position = %s, published = 0, probe_partition = NULL, "
                    "probe_offset = NULL, probe_event_id = NULL, updated_at = now() "
                    "WHERE topic = %s"
                ).format(self._tracking()),
                (target, self.topic),
            )
        self.rewound_to = target
        return target

    # -- broker ---------------------------------------------------------------------------
    async def reconcile_with_broker(self, conn: AsyncConnection[DictRow]) -> bool:
        """Re-publish from zero when the broker lost what we published (e.g. restarted empty)."""
        await kafka.ensure_topics(
            self.settings.kafka_bootstrap,
            [self.topic],
            self.settings.kafka_partitions,
            self.settings.kafka_replication_factor,
        )
        cur = await conn.execute(
            sql.SQL(
                "SELECT published, probe_partition, probe_offset, probe_event_id FROM {} "
                "WHERE topic = %s"
            ).format(self._tracking()),
            (self.topic,),
        )
        row = await cur.fetchone()
        await conn.commit()
        if not row or not row["published"] or row["probe_partition"] is None:
            return False
        found = await kafka.header_at(
            self.settings.kafka_bootstrap,
            self.topic,
            int(row["probe_partition"]),
            int(row["probe_offset"]),
            "mita-event-id",
        )
        if found == str(row["probe_event_id"]).encode():
            return False
        target = await self._rewind(conn)
        log.warning(
            "broker lost %s (last acknowledged event missing): re-publishing after %s",
            self.topic,
            target,
        )
        self._acked.clear()
        return True

    def _went_back(self, acks: list[RecordMetadata]) -> bool:
        """Record ``acks``; return whether any partition's offset went backwards."""
        back = False
        for ack in acks:
            back = back or ack.offset <= self._acked.get(ack.partition, -1)
            self._acked[ack.partition] = ack.offset
        return back

    async def _ensure_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            self._producer = kafka.producer(self.settings.kafka_bootstrap)
            await self._producer.start()
        return self._producer

    async def _drop_producer(self) -> None:
        if self._producer is not None:
            with contextlib.suppress(Exception):
                await self._producer.stop()
            self._producer = None

    # -- publishing -----------------------------------------------------------------------
    async def publish_batch(self, conn: AsyncConnection[DictRow]) -> int:
        """Publish the next batch after the tracked position; return how many were sent."""
        position, _ = await self.position(conn)
        rows = await read_stored(conn, self.source, position, self.settings.relay_batch_size)
        await conn.commit()
        if not rows:
            return 0
        producer = await self._ensure_producer()
        futures = []
        spans = []
        last_event_id = ""
        for pos, stored in rows:
            env = to_envelope(self.service, pos, stored)
            last_event_id = str(env.event_id)
            span = publish_span(self.topic, env)
            if span is not None:
                spans.append(span)
            futures.append(
                await producer.send(
                    self.topic,
                    value=env.to_bytes(),
                    key=str(env.aggregate_id).encode(),
                    headers=kafka_headers(env, carrier_of(span) if span else None),
                )
            )
        # The position moves only once the broker acknowledged every event of the batch.
        try:
            acks = await asyncio.gather(*futures)
        finally:
            for span in spans:
                span.end()
        if self._went_back(acks):
            target = await self._rewind(conn)
            log.warning(
                "broker lost %s (acknowledged offsets went back): re-publishing after %s",
                self.topic,
                target,
            )
            return len(rows)
        probe = (int(acks[-1].partition), int(acks[-1].offset), last_event_id)
        await self._advance(conn, rows[-1][0], len(rows), probe)
        self.published_total += len(rows)
        return len(rows)

    async def drain(self, conn: AsyncConnection[DictRow]) -> int:
        """Publish until the tracked position reaches the store head."""
        total = 0
        while (n := await self.publish_batch(conn)) > 0:
            total += n
        return total

    async def _acquire_leadership(
        self, conn: AsyncConnection[DictRow], stop: asyncio.Event
    ) -> bool:
        """One relay per topic: a session advisory lock, released if the process dies."""
        while not stop.is_set():
            cur = await conn.execute(
                "SELECT pg_try_advisory_lock(hashtext(%s)) AS ok", (f"relay:{self.topic}",)
            )
            row = await cur.fetchone()
            await conn.commit()
            if row and row["ok"]:
                return True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)
        return False

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until ``stop`` is set; survives broker and database outages."""
        backoff = 0.2
        woken = self.wakeups.subscribe(self.source.table)
        try:
            while not stop.is_set():
                try:
                    await self._run_once(stop, woken)
                    backoff = 0.2
                except Exception as exc:
                    log.warning("relay %s error: %r; retrying in %.1fs", self.service, exc, backoff)
                    await self._drop_producer()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), backoff)
                    backoff = min(backoff * 2, 5.0)
        finally:
            self.wakeups.unsubscribe(woken)
            if self._own_wakeups:
                await self.wakeups.close()
        await self._drop_producer()

    async def _run_once(self, stop: asyncio.Event, woken: asyncio.Event) -> None:
        conn = await db.connect(self.settings.database_url)
        try:
            await self._setup(conn)
            if not await self._acquire_leadership(conn, stop):
                return
            await self.reconcile_with_broker(conn)
            last_check = time.monotonic()
            while not stop.is_set():
                woken.clear()  # an append from now on wakes the next wait
                sent = await self.drain(conn)
                if time.monotonic() - last_check > self.settings.relay_idle_check_seconds:
                    await self.reconcile_with_broker(conn)
                    last_check = time.monotonic()
                if sent == 0:
                    # Woken by the store's NOTIFY on insert (``shared.wake`` wakes every
                    # waiter after a reconnect); the timeout only bounds the unexpected.
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(woken.wait(), IDLE_WAIT_SECONDS)
            producer = self._producer
            if producer is not None:
                await producer.flush()
        finally:
            await conn.close()
