"""Read side: projections fed from Kafka, tracked by source store position, rebuildable."""

from __future__ import annotations

import abc
import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol

from psycopg import AsyncConnection, errors, sql
from psycopg.rows import DictRow

from shared import db
from shared.envelope import EventEnvelope


class Source(Protocol):
    """A service's notification log table (see ``shared.relay.SourceTable``)."""

    @property
    def service(self) -> str:
        """The source service."""
        ...

    @property
    def schema(self) -> str:
        """The source service's schema."""
        ...

    def ident(self) -> sql.Composed:
        """Qualified SQL identifier of the events table."""
        ...


class Consumer(abc.ABC):
    """What a runner feeds: events of some stores in order, each (service, position) tracked
    in the same transaction as its effect. Projections (read models) and policies (process
    managers, ``shared.policy``) are the two kinds."""

    name: ClassVar[str]
    sources: ClassVar[tuple[str, ...]]
    handles: ClassVar[frozenset[str]] = frozenset()
    #: False for policies: replaying them would decide again on old events.
    rebuildable: ClassVar[bool] = True

    def __init__(self, schema: str) -> None:
        self.schema = schema

    def table(self, name: str) -> sql.Composed:
        """Qualified identifier of one of this consumer's tables."""
        return sql.SQL("{}.{}").format(sql.Identifier(self.schema), sql.Identifier(name))

    @abc.abstractmethod
    async def setup(self, conn: AsyncConnection[DictRow]) -> None:
        """Create what the consumer keeps, if missing."""

    @abc.abstractmethod
    async def drop(self, conn: AsyncConnection[DictRow]) -> None:
        """Drop what the consumer keeps (for a rebuild)."""

    @abc.abstractmethod
    async def apply(self, conn: AsyncConnection[DictRow], event: EventEnvelope) -> None:
        """Apply one event inside the caller's transaction."""

    async def apply_many(self, conn: AsyncConnection[DictRow], events: list[EventEnvelope]) -> None:
        """Apply events in order; override to fold a batch with fewer round trips."""
        for event in events:
            await self.apply(conn, event)

    def wants(self, event: EventEnvelope) -> bool:
        """Whether ``apply`` should see this event (others are tracked, not applied)."""
        return not self.handles or event.type in self.handles

    async def close(self) -> None:
        """Release what the consumer holds (its runner calls this when it stops)."""
        return None


class Projection(Consumer):
    """A read model built from events; ``apply`` must only touch this projection's tables."""

    #: Set by projections that can fold a source's stored events inside Postgres (fast rebuild).
    replays_in_database: ClassVar[bool] = False

    def on_schema(self, schema: str) -> Projection:
        """The same projection kept in another schema (a blue/green or scratch copy)."""
        return type(self)(schema)

    async def replay_range(
        self, conn: AsyncConnection[DictRow], source: Source, lo: str, hi: str | None
    ) -> None:
        """Fold the stored events of aggregates with ids in [lo, hi) of ``source`` in SQL."""
        raise NotImplementedError

    async def replay_finish(self, conn: AsyncConnection[DictRow]) -> None:
        """Derive what depends on every replayed range (after the last one)."""
        return None


class TablesProjection(Projection):
    """A projection whose tables are declared as data: ``tables`` (name → column list) and
    ``indexes`` (index name → (table, columns)); setup creates what is missing, drop drops
    the tables."""

    tables: ClassVar[dict[str, str]]
    indexes: ClassVar[dict[str, tuple[str, str]]] = {}

    async def setup(self, conn: AsyncConnection[DictRow]) -> None:
        """Create the tables and their indexes."""
        for name, columns in self.tables.items():
            await conn.execute(
                sql.SQL("CREATE TABLE IF NOT EXISTS {} ({})").format(
                    self.table(name),
                    sql.SQL(columns),
                )
            )
        for index, (table, columns) in self.indexes.items():
            await conn.execute(
                sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} ({})").format(
                    sql.Identifier(index),
                    self.table(table),
                    sql.SQL(columns),
                )
            )

    async def drop(self, conn: AsyncConnection[DictRow]) -> None:
        """Drop the tables."""
        for name in self.tables:
            await conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(self.table(name)))


def lock_key(projection: Consumer) -> str:
    """Advisory-lock key: runners hold it shared per batch, a rebuild holds it exclusively."""
    return f"projection:{projection.schema}.{projection.name}"


async def lock_shared(conn: AsyncConnection[DictRow], projection: Consumer) -> None:
    """Inside a batch transaction: wait while a rebuild of this projection runs."""
    await conn.execute("SELECT pg_advisory_xact_lock_shared(hashtext(%s))", (lock_key(projection),))


def tracking_table(schema: str) -> sql.Composed:
    """Table of applied (projection, service, position) triples in ``schema``."""
    return sql.SQL("{}.projection_applied").format(sql.Identifier(schema))


async def setup_tracking(conn: AsyncConnection[DictRow], schema: str) -> None:
    """Create the tracking table (idempotent)."""
    await db.ensure_schema(conn, schema)
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"tracking:{schema}",))
        await conn.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (projection text NOT NULL, service text NOT NULL, "
                "position bigint NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), "
                "dead_lettered boolean NOT NULL DEFAULT false, "
                "PRIMARY KEY (projection, service, position))"
            ).format(tracking_table(schema))
        )


async def claim(
    conn: AsyncConnection[DictRow],
    projection: Consumer,
    events: Sequence[EventEnvelope],
    *,
    dead_lettered: bool = False,
) -> list[EventEnvelope]:
    """Record events as applied; return only those not seen before (dedupe in the same tx)."""
    if not events:
        return []
    services = [e.service for e in events]
    positions = [e.position for e in events]
    cur = await conn.execute(
        sql.SQL(
            "INSERT INTO {} (projection, service, position, dead_lettered) "
            "SELECT %s, s, p, %s FROM unnest(%s::text[], %s::bigint[]) AS u(s, p) "
            "ON CONFLICT DO NOTHING RETURNING service, position"
        ).format(tracking_table(projection.schema)),
        (projection.name, dead_lettered, services, positions),
    )
    fresh = {(r["service"], int(r["position"])) for r in await cur.fetchall()}
    seen: set[tuple[str, int]] = set()
    out: list[EventEnvelope] = []
    for e in events:
        key = (e.service, e.position)
        if key in fresh and key not in seen:
            seen.add(key)
            out.append(e)
    return out


async def apply_batch(
    conn: AsyncConnection[DictRow], projection: Consumer, events: Sequence[EventEnvelope]
) -> int:
    """Apply a batch exactly once, in one transaction with its tracking rows."""
    async with conn.transaction():
        fresh = await claim(conn, projection, events)
        await projection.apply_many(conn, [e for e in fresh if projection.wants(e)])
    return len(fresh)


async def has_applied(
    conn: AsyncConnection[DictRow], schema: str, projection: str, service: str, position: int
) -> bool:
    """Whether ``projection`` has applied the event at (service, position)."""
    try:
        cur = await conn.execute(
            sql.SQL(
                "SELECT 1 FROM {} WHERE projection = %s AND service = %s AND position = %s"
            ).format(tracking_table(schema)),
            (projection, service, position),
        )
    except errors.UndefinedTable:  # the projection has not started yet
        await conn.rollback()
        return False
    found = await cur.fetchone() is not None
    await conn.commit()
    return found


async def wait_for_position(
    conn: AsyncConnection[DictRow],
    schema: str,
    projection: str,
    service: str,
    position: int,
    timeout: float,
) -> bool:
    """Read-your-writes: wait (bounded) until the projection applied ``position``."""
    return await poll(lambda: has_applied(conn, schema, projection, service, position), timeout)


async def poll(check: Callable[[], Awaitable[bool]], timeout: float) -> bool:
    """Ask ``check`` until it holds or ``timeout`` seconds pass (pauses grow 5 → 50 ms)."""
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        if await check():
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(min(delay, max(0.0, deadline - time.monotonic())))
        delay = min(delay * 2, 0.05)


@dataclass(frozen=True)
class SourceStatus:
    """Where one projection stands against one source service's store."""

    projection: str
    service: str
    head: int
    source_events: int
    applied: int
    max_applied: int
    lag_events: int
    lag_seconds: float
