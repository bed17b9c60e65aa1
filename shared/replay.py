"""Analysts' reads of the event stores: filtered event streams, scratch projections and the
state of one user as of an instant, all from the stores (the log of record), never Kafka."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field

from psycopg import AsyncConnection, errors, sql
from psycopg.rows import DictRow

from shared.crypto import KeyReader, reveal
from shared.dates import ONE_MICROSECOND, end_bound
from shared.db import like_escaped
from shared.envelope import EventEnvelope
from shared.projections import Projection, apply_batch, setup_tracking
from shared.rebuild import Progress
from shared.relay import read_stored, stored_of
from shared.settings import MitaSettings
from shared.sources import SourceTable
from shared.store import to_envelope

#: The schema of a time-travel fold: the connection's own temporary tables.
TEMP_SCHEMA = "pg_temp"
SCRATCH_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True)
class EventFilter:
    """Which stored events to read: types, one user, a time window and a position window
    (``after`` exclusive, ``upto`` and ``until`` inclusive)."""

    types: frozenset[str] = field(default_factory=frozenset)
    user: uuid.UUID | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    after: int = 0
    upto: int | None = None

    def matches(self, event: EventEnvelope) -> bool:
        """Whether one decoded event passes every filter."""
        if self.types and event.type not in self.types:
            return False
        if self.user is not None and self.user not in (event.user_id, event.aggregate_id):
            return False
        if self.since is not None and event.occurred_at < self.since:
            return False
        return self.until is None or event.occurred_at <= self.until


def as_of_bound(value: dt.date | dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """The last instant an ``as_of`` parameter names: the end of a user-local day, or the
    instant itself (a wall-clock time in ``zone`` without offset)."""
    bound = end_bound(value, zone)
    assert bound is not None
    return bound - ONE_MICROSECOND


def _user_needles(user: uuid.UUID) -> list[bytes]:
    """How a user id can appear in a stored state (dashed in metadata, 32 hex digits in
    transcoded fields): a cheap SQL pre-filter before the exact check on the envelope."""
    return [str(user).encode(), user.hex.encode()]


async def stored_between(
    conn: AsyncConnection[DictRow], source: SourceTable, flt: EventFilter
) -> int:
    """How many events of ``source`` lie in the filter's position window (a progress total)."""
    query = sql.SQL("SELECT count(*) AS n FROM {} WHERE notification_id > %s").format(
        source.ident()
    )
    params: list[object] = [flt.after]
    if flt.upto is not None:
        query += sql.SQL(" AND notification_id <= %s")
        params.append(flt.upto)
    try:
        cur = await conn.execute(query, params)
    except errors.UndefinedTable:  # that store holds nothing yet
        await conn.rollback()
        return 0
    row = await cur.fetchone()
    await conn.commit()
    return int(row["n"]) if row else 0


async def _read(
    conn: AsyncConnection[DictRow], source: SourceTable, flt: EventFilter, after: int, limit: int
) -> list[tuple[int, EventEnvelope]]:
    """The next page of stored events after ``after`` in the window (undecoded filters apply
    later); positions come back even for events a filter drops, so paging moves on."""
    if flt.user is None:
        try:
            rows = await read_stored(conn, source, after, limit)
        except errors.UndefinedTable:
            await conn.rollback()
            return []
        await conn.commit()
        return [(pos, to_envelope(source.service, pos, stored)) for pos, stored in rows]
    dashed, hexed = _user_needles(flt.user)
    try:
        cur = await conn.execute(
            sql.SQL(
                "SELECT notification_id, originator_id, originator_version, topic, state "
                "FROM {} WHERE notification_id > %s AND (originator_id = %s "
                "OR position(%s::bytea in state) > 0 OR position(%s::bytea in state) > 0) "
                "ORDER BY notification_id LIMIT %s"
            ).format(source.ident()),
            (after, flt.user, dashed, hexed, limit),
        )
    except errors.UndefinedTable:
        await conn.rollback()
        return []
    found = await cur.fetchall()
    await conn.commit()
    return [
        (
            int(r["notification_id"]),
            to_envelope(source.service, int(r["notification_id"]), stored_of(r)),
        )
        for r in found
    ]


async def batches(
    conn: AsyncConnection[DictRow],
    source: SourceTable,
    flt: EventFilter,
    *,
    batch_size: int = 2000,
    scanned: list[int] | None = None,
    keys: KeyReader | None = None,
) -> AsyncIterator[list[EventEnvelope]]:
    """The events of one store passing ``flt``, in store order, a page at a time, their
    personal fields opened with ``keys`` (left sealed without); ``scanned`` (a one-item list)
    counts the stored events read, for progress."""
    after = flt.after
    while True:
        page = await _read(conn, source, flt, after, batch_size)
        if flt.upto is not None:
            page = [(pos, env) for pos, env in page if pos <= flt.upto]
        if not page:
            return
        after = page[-1][0]
        if scanned is not None:
            scanned[0] += len(page)
        kept = [env for _, env in page if flt.matches(env)]
        if kept:
            yield await reveal(conn, keys, kept)
        if len(page) < batch_size:
            return


def sources_of(settings: MitaSettings, services: Iterable[str]) -> list[SourceTable]:
    """The stores of some services."""
    return [SourceTable(s, settings.schema_for(s)) for s in services]


def scratch_schema(settings: MitaSettings, name: str) -> str:
    """The schema of a named scratch projection, in the deployment's namespace
    (``ValueError`` for an unusable name)."""
    if not SCRATCH_NAME.match(name):
        raise ValueError("a scratch name is 1-40 of a-z, 0-9 and _, starting with a letter")
    return settings.schema_for(f"scratch_{name}")


async def drop_schema(conn: AsyncConnection[DictRow], schema: str) -> None:
    """Drop a schema and everything in it."""
    await conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
    await conn.commit()


SCRATCH_COMMENT = "mita scratch projection, made "


async def sweep_scratch(
    conn: AsyncConnection[DictRow], settings: MitaSettings, older_than: dt.timedelta
) -> list[str]:
    """Drop the scratch schemas made more than ``older_than`` ago; the names dropped."""
    cur = await conn.execute(
        "SELECT nspname, obj_description(oid, 'pg_namespace') AS note FROM pg_namespace "
        "WHERE nspname LIKE %s ESCAPE '\\'",
        (like_escaped(settings.schema_for("scratch_")) + "%",),
    )
    rows = await cur.fetchall()
    await conn.commit()
    cutoff = dt.datetime.now(dt.UTC) - older_than
    dropped: list[str] = []
    for row in rows:
        note = str(row["note"] or "")
        if not note.startswith(SCRATCH_COMMENT):
            continue  # not made by a replay (or by an older one): an operator decides
        with contextlib.suppress(ValueError):
            if dt.datetime.fromisoformat(note.removeprefix(SCRATCH_COMMENT)) < cutoff:
                await drop_schema(conn, str(row["nspname"]))
                dropped.append(str(row["nspname"]))
    return dropped


async def replay_into(
    conn: AsyncConnection[DictRow],
    settings: MitaSettings,
    projection: Projection,
    flt: EventFilter,
    *,
    batch_size: int = 2000,
    progress: Progress | None = None,
) -> int:
    """Fold the events passing ``flt`` into ``projection`` (built on its own schema, which
    this empties first: a scratch copy, never a production read model); return how many."""
    await drop_schema(conn, projection.schema)
    await setup_tracking(conn, projection.schema)
    async with conn.transaction():
        await projection.setup(conn)
        # The scheduler's retention reads this: scratch copies are dropped after a while.
        stamp = f"{SCRATCH_COMMENT}{dt.datetime.now(dt.UTC).isoformat()}"
        await conn.execute(
            sql.SQL("COMMENT ON SCHEMA {} IS {}").format(
                sql.Identifier(projection.schema), sql.Literal(stamp)
            )
        )
    done = 0
    sources = sources_of(settings, projection.sources)
    total = 0
    for source in sources:
        total += await stored_between(conn, source, flt)
    scanned = [0]
    report = progress or (lambda _done, _total: None)
    report(0, total)
    keys = KeyReader.from_settings(settings)
    for source in sources:
        pages = batches(conn, source, flt, batch_size=batch_size, scanned=scanned, keys=keys)
        async for page in pages:
            done += await apply_batch(conn, projection, page)
            report(min(scanned[0], total), total)
    report(total, total)
    return done


async def fold_as_of(
    conn: AsyncConnection[DictRow],
    settings: MitaSettings,
    projections: list[Projection],
    user: uuid.UUID,
    as_of: dt.datetime,
) -> int:
    """Fold one user's events recorded up to ``as_of`` into ``projections``, which must live in
    this connection's temporary schema (``pg_temp``: they vanish with the connection and no
    other session sees them); return how many events were folded."""
    flt = EventFilter(user=user, until=as_of)
    services = list(dict.fromkeys(s for p in projections for s in p.sources))
    async with conn.transaction():
        for projection in projections:
            await projection.setup(conn)
    done = 0
    keys = KeyReader.from_settings(settings)
    for source in sources_of(settings, services):
        async for page in batches(conn, source, flt, keys=keys):
            async with conn.transaction():
                for projection in projections:
                    if source.service in projection.sources:
                        await projection.apply_many(conn, [e for e in page if projection.wants(e)])
            done += len(page)
    return done
