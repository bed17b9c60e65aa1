"""Blue/green rebuild: a projection is rebuilt into tables of its own (green) while the live
ones (blue) keep serving, then the two swap in one transaction.

The live runner keeps applying to the blue tables until the swap. At the swap it is paused
(the projection's advisory lock, held exclusively for the short last step), green applies the
events stored since it read the stores, and the tables and tracking rows change places at
once: a query sees either the old read model or the new one, never an empty or partial one.
A failed build leaves blue as it was."""

from __future__ import annotations

from collections.abc import Callable

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from shared.crypto import KeyReader, reveal
from shared.projections import Projection, apply_batch, lock_key, setup_tracking, tracking_table
from shared.rebuild import Progress, analyze, replay_all, source_count
from shared.relay import stored_of
from shared.replay import drop_schema, sources_of
from shared.settings import MitaSettings
from shared.sources import SourceTable
from shared.store import to_envelope

Phase = Callable[[str], None]


def green_schema(projection: Projection) -> str:
    """Where the green copy of a projection is built."""
    return f"{projection.schema}__green_{projection.name}"[:63]


async def rebuild_blue_green(
    conn: AsyncConnection[DictRow],
    settings: MitaSettings,
    live: Projection,
    *,
    batch_size: int = 2000,
    progress: Progress | None = None,
    phase: Phase | None = None,
    in_database: bool | None = None,
) -> int:
    """Rebuild ``live`` from its stores into green tables, then swap; return events applied."""
    if not live.rebuildable:
        raise ValueError(f"{live.name} is a policy: its decisions are history, not rebuilt")
    say = phase or (lambda _phase: None)
    green = live.on_schema(green_schema(live))
    await setup_tracking(conn, live.schema)
    await drop_schema(conn, green.schema)
    try:
        await setup_tracking(conn, green.schema)
        async with conn.transaction():
            await green.setup(conn)
        sources = sources_of(settings, live.sources)
        total = 0
        for source in sources:
            total += await source_count(conn, source)
        await conn.commit()
        report = progress or (lambda _done, _total: None)
        say("building")
        report(0, total)
        keys = KeyReader.from_settings(settings)
        done = await replay_all(conn, green, sources, total, report, batch_size, in_database, keys)
        say("catching up")
        done += await catch_up(conn, green, sources, batch_size, keys)
        await conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (lock_key(live),))
        await conn.commit()
        try:
            say("swapping")
            done += await catch_up(conn, green, sources, batch_size, keys)
            await swap(conn, live, green)
        finally:
            await conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (lock_key(live),))
            await conn.commit()
    except BaseException:
        await conn.rollback()
        await drop_schema(conn, green.schema)
        raise
    await analyze(conn, live.schema)
    say("done")
    return done


async def catch_up(
    conn: AsyncConnection[DictRow],
    projection: Projection,
    sources: list[SourceTable],
    batch_size: int,
    keys: KeyReader | None = None,
) -> int:
    """Apply the stored events ``projection`` has not tracked yet (written since it read the
    stores, including ids that committed late); return how many."""
    done = 0
    for source in sources:
        while True:
            cur = await conn.execute(
                sql.SQL(
                    "SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, "
                    "e.state FROM {} e WHERE NOT EXISTS (SELECT 1 FROM {} a WHERE "
                    "a.projection = %s AND a.service = %s AND a.position = e.notification_id) "
                    "ORDER BY e.notification_id LIMIT %s"
                ).format(source.ident(), tracking_table(projection.schema)),
                (projection.name, source.service, batch_size),
            )
            rows = await cur.fetchall()
            await conn.commit()
            if not rows:
                break
            events = [
                to_envelope(source.service, int(r["notification_id"]), stored_of(r)) for r in rows
            ]
            done += await apply_batch(conn, projection, await reveal(conn, keys, events))
    return done


async def swap(conn: AsyncConnection[DictRow], live: Projection, green: Projection) -> None:
    """In one transaction: drop the live tables, move green's into the live schema with its
    tracking rows, drop the green schema."""
    cur = await conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = %s AND tablename <> %s",
        (green.schema, "projection_applied"),
    )
    tables = [str(r["tablename"]) for r in await cur.fetchall()]
    async with conn.transaction():
        await live.drop(conn)
        for table in tables:
            await conn.execute(
                sql.SQL("ALTER TABLE {} SET SCHEMA {}").format(
                    green.table(table), sql.Identifier(live.schema)
                )
            )
        await conn.execute(
            sql.SQL("DELETE FROM {} WHERE projection = %s").format(tracking_table(live.schema)),
            (live.name,),
        )
        await conn.execute(
            sql.SQL(
                "INSERT INTO {} (projection, service, position, applied_at, dead_lettered) "
                "SELECT projection, service, position, applied_at, dead_lettered FROM {} "
                "WHERE projection = %s"
            ).format(tracking_table(live.schema), tracking_table(green.schema)),
            (live.name,),
        )
        await conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(green.schema)))
