"""How far each consumer has come through each source store, kept beside that store.

A consumer's *watermark* on a source is the highest notification id such that it has applied
(tracked) every stored event up to it — the contiguous prefix of its tracking rows, measured
against the store (whose ids may skip). Runners record theirs in the source's schema
(``consumer_positions``, the analogue of a consumer group's committed offset, but never ahead
of the tracking rows). The relay reads the lowest one when the broker lost what it published,
and re-publishes only from there; a consumer behind the store (new, or back after a while)
reads its backlog from the store itself.
"""

from __future__ import annotations

from psycopg import AsyncConnection, errors, sql
from psycopg.rows import DictRow

from shared import db
from shared.projections import Consumer, Source, tracking_table


def registry(source_schema: str) -> sql.Composed:
    """The source's table of consumer watermarks."""
    return sql.SQL("{}.consumer_positions").format(sql.Identifier(source_schema))


def key_of(consumer: Consumer) -> str:
    """A consumer's name in the registries: ``<schema>.<name>``."""
    return f"{consumer.schema}.{consumer.name}"


async def setup_registry(conn: AsyncConnection[DictRow], source_schema: str) -> None:
    """Create the source's registry (idempotent)."""
    await db.ensure_schema(conn, source_schema)
    async with conn.transaction():
        await conn.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))", (f"watermarks:{source_schema}",)
        )
        await conn.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (consumer text PRIMARY KEY, "
                "position bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())"
            ).format(registry(source_schema))
        )


async def recorded(conn: AsyncConnection[DictRow], source: Source, consumer: Consumer) -> int:
    """The consumer's recorded watermark on ``source`` (0: none yet)."""
    try:
        cur = await conn.execute(
            sql.SQL("SELECT position FROM {} WHERE consumer = %s").format(registry(source.schema)),
            (key_of(consumer),),
        )
    except errors.UndefinedTable:
        await conn.rollback()
        return 0
    row = await cur.fetchone()
    await conn.commit()
    return int(row["position"]) if row else 0


async def contiguous(
    conn: AsyncConnection[DictRow], source: Source, consumer: Consumer, after: int
) -> int:
    """The watermark from ``after`` on: just below the first stored event the consumer has
    not tracked, else the store's head."""
    try:
        cur = await conn.execute(
            sql.SQL(
                "SELECT coalesce((SELECT min(e.notification_id) - 1 FROM {src} e "
                "WHERE e.notification_id > %(after)s AND NOT EXISTS (SELECT 1 FROM {tr} t "
                "WHERE t.projection = %(name)s AND t.service = %(service)s "
                "AND t.position = e.notification_id)), "
                "(SELECT coalesce(max(notification_id), 0) FROM {src}), 0) AS mark"
            ).format(src=source.ident(), tr=tracking_table(consumer.schema)),
            {"after": after, "name": consumer.name, "service": source.service},
        )
    except errors.UndefinedTable:  # the source store has no table yet
        await conn.rollback()
        return after
    row = await cur.fetchone()
    await conn.commit()
    return max(after, int(row["mark"])) if row else after


async def record(
    conn: AsyncConnection[DictRow], source: Source, consumer: Consumer, position: int
) -> None:
    """Record the consumer's watermark on ``source`` (it only moves forward)."""
    async with conn.transaction():
        await conn.execute(
            sql.SQL(
                "INSERT INTO {t} AS w (consumer, position) VALUES (%s, %s) "
                "ON CONFLICT (consumer) DO UPDATE SET position = EXCLUDED.position, "
                "updated_at = now() WHERE w.position < EXCLUDED.position"
            ).format(t=registry(source.schema)),
            (key_of(consumer), position),
        )


async def lowest(conn: AsyncConnection[DictRow], source_schema: str) -> int | None:
    """The lowest watermark any consumer recorded on the source (None: no consumer did)."""
    try:
        cur = await conn.execute(
            sql.SQL("SELECT min(position) AS low FROM {}").format(registry(source_schema))
        )
    except errors.UndefinedTable:
        await conn.rollback()
        return None
    row = await cur.fetchone()
    await conn.commit()
    return None if row is None or row["low"] is None else int(row["low"])


async def behind(
    conn: AsyncConnection[DictRow], source_schema: str, prefix: str, head: int
) -> list[str]:
    """The consumers named ``<prefix>…`` whose watermark on the source is below ``head``."""
    try:
        cur = await conn.execute(
            sql.SQL(
                "SELECT consumer FROM {} WHERE starts_with(consumer, %s) AND position < %s "
                "ORDER BY consumer"
            ).format(registry(source_schema)),
            (prefix, head),
        )
    except errors.UndefinedTable:
        await conn.rollback()
        return []
    names = [str(r["consumer"]) for r in await cur.fetchall()]
    await conn.commit()
    return names
