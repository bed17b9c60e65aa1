"""Projection runner: a Kafka consumer-group member applying batches exactly once in effect."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from opentelemetry import propagate, trace
from psycopg import AsyncConnection, errors
from psycopg.rows import DictRow

from shared import db, kafka, watermarks
from shared.crypto import KeyReader, reveal
from shared.envelope import EventEnvelope
from shared.observability import tracer
from shared.policy import Policy
from shared.projections import Consumer, claim, lock_shared, setup_tracking
from shared.relay import read_stored
from shared.settings import MitaSettings
from shared.sources import SourceTable, store_head
from shared.store import to_envelope
from shared.tracing import from_headers, mark_applied
from shared.wake import Wakeups

log = logging.getLogger(__name__)
MAX_LINKS = 32
#: How often a busy runner records its watermarks (the relay's rewind point; a later one only
#: means re-publishing a little more after a broker loss).
RECORD_EVERY_SECONDS = 1.0


@dataclass(frozen=True)
class StoredMessage:
    """A stored event read from its store, shaped like a consumed record (dead letters)."""

    topic: str
    partition: int
    offset: int
    key: bytes
    value: bytes


def trace_links(events: Sequence[EventEnvelope]) -> list[trace.Link]:
    """Links from a batch's span to the traces that wrote its events (W3C context)."""
    links: list[trace.Link] = []
    for event in events:
        if len(links) >= MAX_LINKS:
            break
        if event.trace_context:
            ctx = trace.get_current_span(propagate.extract(event.trace_context)).get_span_context()
            if ctx.is_valid:
                links.append(trace.Link(ctx))
    return links


class ProjectionRunner:
    """Consumes a projection's source topics and applies events to its read model."""

    def __init__(
        self, settings: MitaSettings, projection: Consumer, wakeups: Wakeups | None = None
    ) -> None:
        self.settings = settings
        self.projection = projection
        # Shared by every relay and runner of a process (one LISTEN connection); own otherwise.
        self.wakeups = wakeups or Wakeups(settings.database_url)
        self._own_wakeups = wakeups is None
        self.topics = [settings.topic_for(s) for s in projection.sources]
        self.group_id = f"{settings.topic_prefix}.projection.{projection.name}"
        self.applied_total = 0
        self.consumed_total = 0
        self.paused_total = 0  # idle pauses taken (woken by a store NOTIFY or the poll)
        self.assigned = asyncio.Event()  # set once the consumer group gave us partitions
        self.dead_lettered = 0
        self._consumer: AIOKafkaConsumer | None = None
        self._dlq: AIOKafkaProducer | None = None
        self.sources = [SourceTable(s, settings.schema_for(s)) for s in projection.sources]
        self.marks: dict[str, int] = {}  # watermark per source service
        self.caught_up_from_store = 0  # events applied from the stores (not Kafka)
        self.healed_from_store = 0  # of those, read because Kafka had gone quiet without them
        self.keys = KeyReader.from_settings(settings)  # opens the events' personal fields
        self._recorded_at = 0.0

    async def setup(self, conn: AsyncConnection[DictRow]) -> None:
        """Create tracking and read model tables."""
        await setup_tracking(conn, self.projection.schema)
        async with conn.transaction():
            await conn.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))",
                (f"projection:{self.projection.schema}.{self.projection.name}",),
            )
            await self.projection.setup(conn)

    async def catch_up(self, conn: AsyncConnection[DictRow]) -> int:
        """Apply what the source stores hold beyond this consumer's watermarks, read from the
        stores themselves (a new consumer's history, or the backlog after a while away), so
        nobody re-publishes history for it; return how many events were applied."""
        applied = 0
        for source in self.sources:
            await watermarks.setup_registry(conn, source.schema)
            start = await watermarks.recorded(conn, source, self.projection)
            mark = await watermarks.contiguous(conn, source, self.projection, start)
            after = mark
            while True:
                try:
                    rows = await read_stored(
                        conn, source, after, self.settings.projection_batch_size
                    )
                except errors.UndefinedTable:  # that store holds nothing yet (no table)
                    await conn.rollback()
                    rows = []
                await conn.commit()
                if not rows:
                    break
                parsed: list[tuple[Any, EventEnvelope]] = []
                for pos, stored in rows:
                    env = to_envelope(source.service, pos, stored)
                    key = str(stored.originator_id).encode()
                    topic = f"store:{source.service}"
                    parsed.append((StoredMessage(topic, -1, pos, key, env.to_bytes()), env))
                applied += await self._apply_parsed(conn, parsed, [e for _, e in parsed])
                after = rows[-1][0]
            self.marks[source.service] = await watermarks.contiguous(
                conn, source, self.projection, mark
            )
            await watermarks.record(conn, source, self.projection, self.marks[source.service])
        self.caught_up_from_store += applied
        self._recorded_at = time.monotonic()
        return applied

    async def record_marks(self, conn: AsyncConnection[DictRow], *, force: bool = False) -> None:
        """Move and record the watermarks (at most once a second unless ``force``)."""
        if not force and time.monotonic() - self._recorded_at < RECORD_EVERY_SECONDS:
            return
        for source in self.sources:
            mark = self.marks.get(source.service, 0)
            moved = await watermarks.contiguous(conn, source, self.projection, mark)
            if moved > mark or source.service not in self.marks:
                self.marks[source.service] = moved
                await watermarks.record(conn, source, self.projection, moved)
        self._recorded_at = time.monotonic()

    async def _apply_fresh(
        self, conn: AsyncConnection[DictRow], fresh: list[EventEnvelope]
    ) -> None:
        wanted = [e for e in fresh if self.projection.wants(e)]
        limit = self.settings.fault_crash_after_applied
        if limit and self.applied_total + len(fresh) >= limit:
            # Fault injection for the crash tests: apply part of the batch, die before commit.
            part = max(limit - self.applied_total, 1)
            await self.projection.apply_many(conn, wanted[:part])
            log.warning("fault injection: SIGKILL after %s applied", limit)
            os.kill(os.getpid(), signal.SIGKILL)
        await self.projection.apply_many(conn, wanted)

    async def apply_messages(self, conn: AsyncConnection[DictRow], messages: Sequence[Any]) -> int:
        """Apply one polled batch; poison events are retried, then dead-lettered."""
        self.consumed_total += len(messages)
        parsed: list[tuple[Any, EventEnvelope]] = []
        for msg in messages:
            try:
                event = EventEnvelope.from_bytes(msg.value)
            except Exception as exc:  # undecodable: no retry can help
                await self._dead_letter(msg, None, exc)
                continue
            carried = from_headers(getattr(msg, "headers", None))
            if carried:  # the relay's publish span: the consumer continues from it
                event = event.model_copy(update={"trace_context": carried})
            parsed.append((msg, event))
        envelopes = [e for _, e in parsed]
        with tracer().start_as_current_span(
            f"project {self.projection.name}",
            kind=trace.SpanKind.CONSUMER,
            links=trace_links(envelopes),
            attributes={"mita.projection": self.projection.name, "mita.events": len(envelopes)},
        ):
            return await self._apply_parsed(conn, parsed, envelopes)

    async def _apply_parsed(
        self,
        conn: AsyncConnection[DictRow],
        parsed: list[tuple[Any, EventEnvelope]],
        envelopes: list[EventEnvelope],
    ) -> int:
        envelopes = await reveal(conn, self.keys, envelopes)
        parsed = [(msg, event) for (msg, _), event in zip(parsed, envelopes, strict=True)]
        began = time.time_ns()
        try:
            async with conn.transaction():
                await lock_shared(conn, self.projection)
                fresh = await claim(conn, self.projection, envelopes)
                await self._apply_fresh(conn, fresh)
            self.applied_total += len(fresh)
            self._mark(fresh, began)
            return len(fresh)
        except Exception as exc:
            log.warning("batch failed (%r); applying one by one", exc)
        applied = 0
        for msg, event in parsed:
            applied += await self._apply_one(conn, msg, event)
        self.applied_total += applied
        self._mark(envelopes, began)
        return applied

    def _mark(self, events: list[EventEnvelope], began: int) -> None:
        """Each applied event's span in its request's trace (policies open their own)."""
        if events and not isinstance(self.projection, Policy):
            mark_applied(self.projection.name, events, trace.get_current_span(), began)

    async def _apply_one(
        self, conn: AsyncConnection[DictRow], msg: Any, event: EventEnvelope
    ) -> int:
        error: Exception | None = None
        for attempt in range(self.settings.projection_max_retries + 1):
            try:
                async with conn.transaction():
                    await lock_shared(conn, self.projection)
                    fresh = await claim(conn, self.projection, [event])
                    await self._apply_fresh(conn, fresh)
                return len(fresh)
            except Exception as exc:
                error = exc
                await asyncio.sleep(min(0.05 * 2**attempt, 1.0))
        assert error is not None
        await self._dead_letter(msg, event, error)
        async with conn.transaction():
            await claim(conn, self.projection, [event], dead_lettered=True)
        return 0

    async def _dead_letter(self, msg: Any, event: EventEnvelope | None, exc: Exception) -> None:
        """Send a poison message to the dead-letter topic with its original coordinates."""
        self.dead_lettered += 1
        topic = self.settings.dead_letter_topic(self.projection.name)
        log.error("dead-lettering %s[%s]@%s: %r", msg.topic, msg.partition, msg.offset, exc)
        if self._dlq is None:
            await kafka.ensure_topics(
                self.settings.kafka_bootstrap, [topic], 1, self.settings.kafka_replication_factor
            )
            self._dlq = kafka.producer(self.settings.kafka_bootstrap)
            await self._dlq.start()
        coordinates = {
            "projection": self.projection.name,
            "topic": msg.topic,
            "partition": msg.partition,
            "offset": msg.offset,
            "service": event.service if event else None,
            "position": event.position if event else None,
            "event_id": str(event.event_id) if event else None,
            "error": repr(exc),
        }
        headers = [("mita-dead-letter", json.dumps(coordinates).encode())]
        await self._dlq.send_and_wait(topic, value=msg.value, key=msg.key, headers=headers)

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop`` is set, reconnecting after failures."""
        woken = self.wakeups.subscribe(*(db.events_table(s) for s in self.projection.sources))
        try:
            await self._run(stop, woken)
        finally:
            self.wakeups.unsubscribe(woken)
            await self.close()

    async def close(self) -> None:
        """Release what the runner holds: its own wake-ups, the dead-letter producer and the
        consumer's resources."""
        if self._own_wakeups:
            await self.wakeups.close()
        if self._dlq is not None:
            with contextlib.suppress(Exception):
                await self._dlq.stop()
            self._dlq = None
        await self.projection.close()

    async def _run(self, stop: asyncio.Event, woken: asyncio.Event) -> None:
        backoff = 0.2
        while not stop.is_set():
            try:
                await self._run_once(stop, woken)
                backoff = 0.2
            except Exception as exc:
                log.warning("projection %s error: %r", self.projection.name, exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), backoff)
                backoff = min(backoff * 2, 5.0)

    async def _run_once(self, stop: asyncio.Event, woken: asyncio.Event) -> None:
        conn = await db.connect(self.settings.database_url)
        await self.setup(conn)
        await kafka.ensure_topics(
            self.settings.kafka_bootstrap,
            self.topics,
            self.settings.kafka_partitions,
            self.settings.kafka_replication_factor,
        )
        consumer = kafka.consumer(
            self.settings.kafka_bootstrap,
            self.topics,
            self.group_id,
            self.settings.kafka_fetch_max_wait_ms,
            self.settings.kafka_session_timeout_ms,
        )
        await self.catch_up(conn)
        await consumer.start()
        try:
            busy = time.monotonic()
            while not stop.is_set():
                # Cleared before each fetch: a store append from now on keeps us fetching.
                woken.clear()
                batches = await consumer.getmany(
                    timeout_ms=200, max_records=self.settings.projection_batch_size
                )
                if consumer.assignment():
                    self.assigned.set()
                messages = [m for msgs in batches.values() for m in msgs]
                if messages:
                    await self.apply_messages(conn, messages)
                    await self.record_marks(conn)
                    # Offsets are only a resume hint: correctness comes from the tracking table.
                    with contextlib.suppress(Exception):
                        await consumer.commit()
                    busy = time.monotonic()
                elif (
                    time.monotonic() - busy > self.settings.consumer_pause_after_seconds
                    and not woken.is_set()
                ):
                    await self.record_marks(conn, force=True)
                    if await self._behind_store(conn):
                        # Quiet for a while yet the stores hold events not applied: the broker
                        # lost them, or the consumer's position skipped them (a broker restarted
                        # empty, its offsets reused). The store has them all.
                        self.healed_from_store += await self.catch_up(conn)
                        busy = time.monotonic()
                        continue
                    woke = await self._idle(consumer, woken, stop)
                    # After a store append, fetch until it has come through; after the
                    # safety poll, one quick look is enough before pausing again.
                    busy = time.monotonic() - (
                        0 if woke else self.settings.consumer_pause_after_seconds
                    )
        finally:
            with contextlib.suppress(Exception):
                await consumer.stop()
            await conn.close()

    async def _behind_store(self, conn: AsyncConnection[DictRow]) -> bool:
        """Whether a source store holds events past this consumer's watermark."""
        for source in self.sources:
            if self.marks.get(source.service, 0) < await store_head(conn, source):
                return True
        return False

    async def _idle(self, consumer: Any, woken: asyncio.Event, stop: asyncio.Event) -> bool:
        """Pause fetching until a source store appends, ``stop``, or the safety poll; return
        whether a store append ended it."""
        assigned = consumer.assignment()
        if not assigned:
            return False
        consumer.pause(*assigned)
        self.paused_total += 1
        try:
            waits = [asyncio.ensure_future(woken.wait()), asyncio.ensure_future(stop.wait())]
            await asyncio.wait(
                waits,
                timeout=self.settings.consumer_idle_poll_seconds,
                return_when=asyncio.FIRST_COMPLETED,
            )
            for waiting in waits:
                waiting.cancel()
        finally:
            consumer.resume(*consumer.assignment())
        return woken.is_set()
