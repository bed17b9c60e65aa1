"""Rebuild projections from the event store (not Kafka) and report their lag."""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Callable

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from shared.crypto import KeyReader, reveal, reveal_columns
from shared.projections import (
    Consumer,
    Projection,
    SourceStatus,
    apply_batch,
    lock_key,
    setup_tracking,
    tracking_table,
)
from shared.relay import read_stored, stored_of
from shared.settings import MitaSettings
from shared.sources import SourceTable, store_head
from shared.store import to_envelope

Progress = Callable[[int, int], None]


def text_progress(label: str) -> Progress:
    """A progress bar on stderr: ``label [#####.....] done/total``."""

    def show(done: int, total: int) -> None:
        width = 30
        filled = width if total == 0 else int(width * done / total)
        sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


async def source_count(conn: AsyncConnection[DictRow], source: SourceTable) -> int:
    """Number of events in a source store (0 if it has none yet)."""
    try:
        cur = await conn.execute(sql.SQL("SELECT count(*) AS n FROM {}").format(source.ident()))
        row = await cur.fetchone()
        return int(row["n"]) if row else 0
    except Exception:
        await conn.rollback()
        return 0


async def reset_read_model(conn: AsyncConnection[DictRow], projection: Projection) -> None:
    """Empty a read model and its tracking rows in one transaction (a rebuild's first step)."""
    await setup_tracking(conn, projection.schema)
    async with conn.transaction():
        await projection.drop(conn)
        await conn.execute(
            sql.SQL("DELETE FROM {} WHERE projection = %s").format(
                tracking_table(projection.schema)
            ),
            (projection.name,),
        )
        await projection.setup(conn)


async def rebuild(
    conn: AsyncConnection[DictRow],
    settings: MitaSettings,
    projection: Consumer,
    *,
    batch_size: int = 2000,
    progress: Progress | None = None,
    in_database: bool | None = None,
) -> int:
    """Drop the read model and its tracking rows, then replay every source event.

    Projections that fold in SQL (``replays_in_database``) replay inside Postgres, range by
    range of aggregate ids; others stream every event through ``apply_many`` in store order.
    Live runners of the projection pause meanwhile (they take the same lock, shared).
    """
    if not isinstance(projection, Projection) or not projection.rebuildable:
        raise ValueError(f"{projection.name} is a policy: its decisions are history, not rebuilt")
    await setup_tracking(conn, projection.schema)
    await conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (lock_key(projection),))
    await conn.commit()
    try:
        await reset_read_model(conn, projection)
        sources = [SourceTable(s, settings.schema_for(s)) for s in projection.sources]
        total = 0
        for source in sources:
            total += await source_count(conn, source)
        await conn.commit()
        report = progress or (lambda _done, _total: None)
        report(0, total)
        keys = KeyReader.from_settings(settings)
        done = await replay_all(
            conn, projection, sources, total, report, batch_size, in_database, keys
        )
        await analyze(conn, projection.schema)
        return done
    finally:
        await conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (lock_key(projection),))
        await conn.commit()


async def replay_all(
    conn: AsyncConnection[DictRow],
    projection: Projection,
    sources: list[SourceTable],
    total: int,
    progress: Progress,
    batch_size: int,
    in_database: bool | None,
    keys: KeyReader,
) -> int:
    """Fold every stored event into an empty ``projection``: in SQL when it can (then its
    sealed columns are opened), else through ``apply_many``; return how many events."""
    use_sql = projection.replays_in_database if in_database is None else in_database
    if use_sql:
        done = await replay_in_database(conn, projection, sources, total, progress)
        await reveal_columns(conn, projection, keys)
        return done
    return await replay_stores(conn, projection, sources, total, progress, batch_size, keys)


async def analyze(conn: AsyncConnection[DictRow], schema: str) -> None:
    """Refresh planner statistics of a schema's tables after a rebuild refilled them.

    Recreated tables have none until autovacuum comes by; meanwhile Postgres guesses a few
    rows and picks plans that are many times slower on a large read model.
    """
    cur = await conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,))
    tables = [r["tablename"] for r in await cur.fetchall()]
    for table in tables:
        await conn.execute(
            sql.SQL("ANALYZE {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
        )
    await conn.commit()


# Aggregate-id ranges for in-database replay: 16 ranges by the first hex digit of the uuid.
ID_RANGES: list[tuple[str, str | None]] = [
    (f"{d:x}0000000-0000-0000-0000-000000000000", f"{d + 1:x}0000000-0000-0000-0000-000000000000")
    for d in range(15)
] + [("f0000000-0000-0000-0000-000000000000", None)]


async def replay_in_database(
    conn: AsyncConnection[DictRow],
    projection: Projection,
    sources: list[SourceTable],
    total: int,
    progress: Progress,
) -> int:
    """Fold every stored event into ``projection`` in SQL, range by range of aggregate ids."""
    done = 0
    for source in sources:
        if not await store_head(conn, source):
            continue
        for lo, hi in ID_RANGES:
            async with conn.transaction():
                upper = sql.SQL("AND originator_id < %s::uuid") if hi else sql.SQL("")
                cur = await conn.execute(
                    sql.SQL(
                        "INSERT INTO {} (projection, service, position) "
                        "SELECT %s, %s, notification_id FROM {} "
                        "WHERE originator_id >= %s::uuid {}"
                    ).format(tracking_table(projection.schema), source.ident(), upper),
                    (projection.name, source.service, lo, *([hi] if hi else [])),
                )
                done += cur.rowcount
                await projection.replay_range(conn, source, lo, hi)
            progress(min(done, total), total)
    async with conn.transaction():
        await projection.replay_finish(conn)
    return done


async def replay_stores(
    conn: AsyncConnection[DictRow],
    projection: Projection,
    sources: list[SourceTable],
    total: int,
    progress: Progress,
    batch_size: int,
    keys: KeyReader | None = None,
) -> int:
    """Stream every stored event through ``projection`` in store order, source by source
    (their personal fields opened with ``keys``)."""
    done = 0
    for source in sources:
        if not await store_head(conn, source):  # a source with no store yet has no events
            continue
        after = 0
        while True:
            rows = await read_stored(conn, source, after, batch_size)
            if not rows:
                await conn.commit()
                break
            events = [to_envelope(source.service, pos, st) for pos, st in rows]
            await conn.commit()
            await apply_batch(conn, projection, await reveal(conn, keys, events))
            after = rows[-1][0]
            done += len(rows)
            progress(min(done, total), total)
    return done


async def status(
    conn: AsyncConnection[DictRow], settings: MitaSettings, projection: Consumer
) -> list[SourceStatus]:
    """Position of ``projection`` against the head of each source."""
    await setup_tracking(conn, projection.schema)
    out: list[SourceStatus] = []
    for service in projection.sources:
        source = SourceTable(service, settings.schema_for(service))
        head = await store_head(conn, source)
        count = await source_count(conn, source)
        cur = await conn.execute(
            sql.SQL(
                "SELECT count(*) AS n, coalesce(max(position), 0) AS mx FROM {} "
                "WHERE projection = %s AND service = %s"
            ).format(tracking_table(projection.schema)),
            (projection.name, service),
        )
        row = await cur.fetchone()
        applied = int(row["n"]) if row else 0
        max_applied = int(row["mx"]) if row else 0
        lag_events = max(count - applied, 0)
        lag_seconds = 0.0
        if lag_events:
            cur = await conn.execute(
                sql.SQL(
                    "SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, "
                    "e.state FROM {} e WHERE NOT EXISTS (SELECT 1 FROM {} a WHERE "
                    "a.projection = %s AND a.service = %s AND a.position = e.notification_id) "
                    "ORDER BY e.notification_id LIMIT 1"
                ).format(source.ident(), tracking_table(projection.schema)),
                (projection.name, service),
            )
            oldest = await cur.fetchone()
            if oldest:
                env = to_envelope(service, int(oldest["notification_id"]), stored_of(oldest))
                lag_seconds = max((dt.datetime.now(dt.UTC) - env.occurred_at).total_seconds(), 0)
        await conn.commit()
        out.append(
            SourceStatus(
                projection.name, service, head, count, applied, max_applied, lag_events, lag_seconds
            )
        )
    return out


def timed() -> Callable[[], float]:
    """Return a function giving seconds elapsed since this call."""
    start = time.perf_counter()
    return lambda: time.perf_counter() - start
