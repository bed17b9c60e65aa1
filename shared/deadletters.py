"""Dead letters: the events a projection gave up on, browsable and re-drivable.

The runner sends a poison event to ``<prefix>.deadletter.<projection>`` with its coordinates
and tracks it as dead-lettered (``projection_applied.dead_lettered``), so the read model moves
on. The tracking rows are the durable list (a broker may keep topics in memory); the topic
adds what it still holds (the error). Re-driving reads the event from its store, the log of
record, and applies it with its tracking row in one transaction: it stays dead-lettered if it
fails again."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from shared import kafka
from shared.crypto import KeyReader
from shared.projections import Consumer, lock_shared, setup_tracking, tracking_table
from shared.replay import EventFilter, batches
from shared.settings import MitaSettings
from shared.sources import SourceTable


@dataclass(frozen=True)
class DeadLetter:
    """One event a consumer dead-lettered, where it is and why (when the topic still says)."""

    projection: str
    service: str
    position: int
    dead_lettered_at: dt.datetime
    type: str | None
    event_id: str | None
    error: str | None


class RedriveFailed(Exception):
    """The event failed again: it stays dead-lettered."""


class NotDeadLettered(Exception):
    """That (service, position) is not a dead letter of that consumer."""


async def topic_errors(settings: MitaSettings, projection: str) -> dict[tuple[str, int], str]:
    """The errors the dead-letter topic records, by (service, position)."""
    out: dict[tuple[str, int], str] = {}
    for msg in await kafka.read_topic(
        settings.kafka_bootstrap, settings.dead_letter_topic(projection), idle=0.5, timeout=5.0
    ):
        raw = dict(msg.headers).get("mita-dead-letter")
        if not raw:
            continue
        info: dict[str, Any] = json.loads(raw)
        if info.get("service") and info.get("position") is not None:
            out[(str(info["service"]), int(info["position"]))] = str(info.get("error") or "")
    return out


async def pending(
    conn: AsyncConnection[DictRow],
    settings: MitaSettings,
    consumer: Consumer,
    *,
    with_topic: bool = True,
) -> list[DeadLetter]:
    """The consumer's dead letters not re-driven yet, oldest first."""
    await setup_tracking(conn, consumer.schema)
    cur = await conn.execute(
        sql.SQL(
            "SELECT service, position, applied_at FROM {} WHERE projection = %s "
            "AND dead_lettered ORDER BY applied_at, service, position"
        ).format(tracking_table(consumer.schema)),
        (consumer.name,),
    )
    rows = await cur.fetchall()
    await conn.commit()
    found = await topic_errors(settings, consumer.name) if rows and with_topic else {}
    out: list[DeadLetter] = []
    for row in rows:
        service, position = str(row["service"]), int(row["position"])
        event = await stored_event(conn, settings, service, position)
        out.append(
            DeadLetter(
                consumer.name,
                service,
                position,
                row["applied_at"],
                event.type if event else None,
                str(event.event_id) if event else None,
                found.get((service, position)),
            )
        )
    return out


async def stored_event(
    conn: AsyncConnection[DictRow], settings: MitaSettings, service: str, position: int
) -> Any:
    """The envelope of the event at (service, position) of its store, None if there is none."""
    source = SourceTable(service, settings.schema_for(service))
    window = EventFilter(after=position - 1, upto=position)
    async for page in batches(conn, source, window, keys=KeyReader.from_settings(settings)):
        return page[0]
    return None


async def redrive(
    conn: AsyncConnection[DictRow],
    settings: MitaSettings,
    consumer: Consumer,
    service: str,
    position: int,
) -> None:
    """Apply one dead letter again from its store, with its tracking row, in one transaction."""
    if service not in consumer.sources:
        raise NotDeadLettered(f"{consumer.name} does not consume {service}")
    event = await stored_event(conn, settings, service, position)
    if event is None:
        raise NotDeadLettered(f"{service} stores no event at {position}")
    await setup_tracking(conn, consumer.schema)
    try:
        async with conn.transaction():
            await lock_shared(conn, consumer)
            cur = await conn.execute(
                sql.SQL(
                    "UPDATE {} SET dead_lettered = false, applied_at = now() WHERE projection = %s "
                    "AND service = %s AND position = %s AND dead_lettered"
                ).format(tracking_table(consumer.schema)),
                (consumer.name, service, position),
            )
            if cur.rowcount != 1:
                raise NotDeadLettered(
                    f"{service}@{position} is not a dead letter of {consumer.name}"
                )
            if consumer.wants(event):
                await consumer.apply_many(conn, [event])
    except NotDeadLettered:
        raise
    except Exception as exc:
        raise RedriveFailed(repr(exc)) from exc
