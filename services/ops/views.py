"""What the ops API reads: streams, filters, lag (no route code here)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from eventsourcing.utils import resolve_topic
from psycopg import AsyncConnection, errors, sql
from psycopg.rows import DictRow

from shared.dates import start_bound
from shared.envelope import EventEnvelope, registry
from shared.projections import Projection, setup_tracking, tracking_table
from shared.rebuild import status
from shared.replay import EventFilter, as_of_bound
from shared.settings import MitaSettings
from shared.sources import SourceTable, store_head


def event_view(event: EventEnvelope) -> dict[str, Any]:
    """An event as the API shows it."""
    data = event.model_dump(mode="json", exclude={"trace_context"})
    return data


def filter_of(
    types: list[str] | None,
    user: uuid.UUID | None,
    since: dt.date | dt.datetime | None,
    until: dt.date | dt.datetime | None,
    after: int,
    upto: int | None,
) -> EventFilter:
    """An event filter from query parameters (a date is a UTC day here: analysts' streams
    belong to no one user's zone)."""
    return EventFilter(
        types=frozenset(types or ()),
        user=user,
        since=start_bound(since, dt.UTC),
        until=as_of_bound(until, dt.UTC) if until is not None else None,
        after=after,
        upto=upto,
    )


def type_name(service: str, topic: str) -> str:
    """The public name of a stored event's class (its topic when the class is unknown)."""
    try:
        return registry.name_of(service, resolve_topic(topic))
    except Exception:
        return topic


async def streams(conn: AsyncConnection[DictRow], settings: MitaSettings) -> list[dict[str, Any]]:
    """Each store: its topic, event count, head and counts by event type."""
    from services import catalog

    out: list[dict[str, Any]] = []
    for service in catalog.STORE_SERVICES:
        source = SourceTable(service, settings.schema_for(service))
        types: dict[str, int] = {}
        try:
            cur = await conn.execute(
                sql.SQL("SELECT topic, count(*) AS n FROM {} GROUP BY topic").format(source.ident())
            )
            for row in await cur.fetchall():
                name = type_name(service, str(row["topic"]))
                types[name] = types.get(name, 0) + int(row["n"])
        except errors.UndefinedTable:
            await conn.rollback()
        await conn.commit()
        out.append(
            {
                "service": service,
                "topic": settings.topic_for(service),
                "events": sum(types.values()),
                "head": await store_head(conn, source),
                "types": dict(sorted(types.items())),
            }
        )
    return out


async def dead_letter_count(conn: AsyncConnection[DictRow], schema: str, name: str) -> int:
    """How many dead letters a consumer has not re-driven."""
    await setup_tracking(conn, schema)
    cur = await conn.execute(
        sql.SQL("SELECT count(*) AS n FROM {} WHERE projection = %s AND dead_lettered").format(
            tracking_table(schema)
        ),
        (name,),
    )
    row = await cur.fetchone()
    await conn.commit()
    return int(row["n"]) if row else 0


async def lag_rows(conn: AsyncConnection[DictRow], settings: MitaSettings) -> list[dict[str, Any]]:
    """Every consumer against every source it reads."""
    from services import catalog

    out: list[dict[str, Any]] = []
    for spec in catalog.PROJECTIONS.values():
        async with spec.opened(settings) as consumer:
            dead = await dead_letter_count(conn, consumer.schema, consumer.name)
            rebuildable = isinstance(consumer, Projection) and consumer.rebuildable
            states = await status(conn, settings, consumer)
        kind = "projection" if rebuildable else "policy"
        for st in states:
            out.append(
                {
                    "projection": st.projection,
                    "owner": spec.owner,
                    "kind": kind,
                    "service": st.service,
                    "head": st.head,
                    "source_events": st.source_events,
                    "applied": st.applied,
                    "lag_events": st.lag_events,
                    "lag_seconds": round(st.lag_seconds, 3),
                    "dead_letters": dead,
                }
            )
    return out
