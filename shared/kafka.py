"""Kafka adapters: topic creation, producers and consumers (aiokafka)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import OffsetOutOfRangeError, TopicAlreadyExistsError

log = logging.getLogger(__name__)


async def ensure_topics(
    bootstrap: str, topics: Iterable[str], partitions: int, replication: int = 1
) -> list[str]:
    """Create missing topics with ``partitions`` partitions; return those created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in dict.fromkeys(topics) if t not in existing]
        if not missing:
            return []
        with contextlib.suppress(TopicAlreadyExistsError):  # a concurrent creator won
            await admin.create_topics(
                [
                    NewTopic(t, num_partitions=partitions, replication_factor=replication)
                    for t in missing
                ]
            )
        log.info("created topics %s", missing)
        return missing
    finally:
        await admin.close()


def crc32_partitioner(key: bytes | None, all_partitions: list[int], available: list[int]) -> int:
    """Same key, same partition (per-aggregate order), at C speed.

    aiokafka's default murmur2 is pure Python and was the relay's single largest cost; only our
    relays produce to MITA topics, so they only need to agree with each other.
    """
    candidates = sorted(all_partitions)
    if key is None:
        return (available or candidates)[0]
    return candidates[zlib.crc32(key) % len(candidates)]


def producer(bootstrap: str) -> AIOKafkaProducer:
    """Producer that waits for every replica (acks=all); idempotence lives in our database."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        partitioner=crc32_partitioner,
        acks="all",
        enable_idempotence=False,
        linger_ms=2,
        max_batch_size=256 * 1024,
        request_timeout_ms=15_000,
    )


def consumer(
    bootstrap: str,
    topics: Iterable[str],
    group_id: str,
    fetch_max_wait_ms: int = 20,
    session_timeout_ms: int = 6_000,
) -> AIOKafkaConsumer:
    """Consumer-group member that commits offsets only as a hint (tracking is in Postgres)."""
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=1000,
        fetch_max_wait_ms=fetch_max_wait_ms,
        session_timeout_ms=session_timeout_ms,
        heartbeat_interval_ms=max(session_timeout_ms // 6, 100),
        metadata_max_age_ms=5_000,
    )


async def header_at(
    bootstrap: str, topic: str, partition: int, offset: int, header: str, timeout: float = 5.0
) -> bytes | None:
    """Return ``header`` of the message at (topic, partition, offset), None if it is gone.

    End offsets are not trusted (Tansu miscounts batched records), so the relay checks the
    broker still holds the last message it acknowledged; only an empty partition is taken at
    its word.
    """
    probe = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="none"
    )
    await probe.start()
    try:
        await probe._client.force_metadata_update()
        parts = probe.partitions_for_topic(topic)
        if not parts or partition not in parts:
            return None
        tp = TopicPartition(topic, partition)
        probe.assign([tp])
        # An empty partition (a broker restarted with memory storage) holds nothing: no need
        # to wait for the fetch to time out.
        with contextlib.suppress(Exception):
            if (await probe.end_offsets([tp])).get(tp) == 0:
                return None
        probe.seek(tp, offset)
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            try:
                batch = await probe.getmany(tp, timeout_ms=500, max_records=1)
            except OffsetOutOfRangeError:
                return None
            for msg in batch.get(tp, []):
                if msg.offset != offset:
                    return None
                value: bytes = dict(msg.headers).get(header, b"")
                return value
        return None
    finally:
        with contextlib.suppress(Exception):
            await probe.stop()


async def ping(bootstrap: str) -> bool:
    """Return whether the broker answers a metadata request."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3_000)
    try:
        await admin.start()
        await admin.list_topics()
        return True
    except Exception:
        return False
    finally:
        with contextlib.suppress(Exception):
            await admin.close()


async def read_topic(
    bootstrap: str, topic: str, *, last: int | None = None, idle: float = 1.0, timeout: float = 15.0
) -> list[Any]:
    """The messages one topic holds (see ``read_topics``)."""
    return await read_topics(bootstrap, [topic], last=last, idle=idle, timeout=timeout)


async def read_topics(
    bootstrap: str,
    topics: list[str],
    *,
    last: int | None = None,
    idle: float = 1.0,
    timeout: float = 15.0,
) -> list[Any]:
    """The messages some topics hold (the ``last`` ones when given), oldest first across
    partitions by timestamp; reading stops once they stay quiet for ``idle`` seconds (end
    offsets are not trusted, see ``header_at``) or at ``timeout``."""
    reader = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await reader.start()
    try:
        await reader._client.force_metadata_update()
        tps = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(reader.partitions_for_topic(topic) or ())
        ]
        if not tps:
            return []
        reader.assign(tps)
        await reader.seek_to_beginning(*tps)
        kept: list[Any] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        quiet_since = loop.time()
        while loop.time() < deadline and loop.time() - quiet_since < idle:
            batch = await reader.getmany(timeout_ms=200, max_records=5000)
            records = [m for msgs in batch.values() for m in msgs]
            if records:
                quiet_since = loop.time()
                kept.extend(records)
        kept.sort(key=lambda m: (m.timestamp, m.partition, m.offset))
        return kept[-last:] if last else kept
    finally:
        with contextlib.suppress(Exception):
            await reader.stop()
