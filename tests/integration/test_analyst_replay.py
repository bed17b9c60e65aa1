"""Analysts' reads on real Postgres: exports with filters (JSONL, Parquet), scratch replays
that leave production alone, and blue/green rebuilds that serve throughout."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import uuid
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from services.ledger.application import LedgerApplication
from services.ledger.projections import TransactionsProjection
from shared import db
from shared.bluegreen import green_schema, rebuild_blue_green
from shared.envelope import EventEnvelope
from shared.export import JsonlSink, ParquetSink, export
from shared.projections import claim, lock_shared
from shared.rebuild import rebuild
from shared.replay import EventFilter, batches, drop_schema, replay_into, scratch_schema
from shared.settings import MitaSettings
from shared.sources import SourceTable
from tests.helpers import fold, read_model, seed

DELETED = "ledger.TransactionDeleted"


def source(settings: MitaSettings) -> SourceTable:
    """The ledger's store."""
    return SourceTable("ledger", settings.schema_for("ledger"))


async def stored(conn: AsyncConnection[DictRow], settings: MitaSettings) -> list[EventEnvelope]:
    """Every ledger event as the bus carries it."""
    out: list[EventEnvelope] = []
    async for page in batches(conn, source(settings), EventFilter()):
        out += page
    return out


async def test_exports_carry_every_event_the_filters_pass(
    settings: MitaSettings,
    conn: AsyncConnection[DictRow],
    ledger: LedgerApplication,
    tmp_path: Path,
) -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    seed(ledger, [a, b], 40)
    events = await stored(conn, settings)
    out = io.StringIO()
    count = await export(conn, settings, ["ledger"], EventFilter(), JsonlSink(out))
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert count == len(lines) == len(events)
    assert [line["position"] for line in lines] == [e.position for e in events]
    recorded = next(line for line in lines if line["type"] == "ledger.TransactionRecorded")
    assert isinstance(recorded["payload"]["amount"], str)  # money stays an exact string
    Decimal(recorded["payload"]["amount"])

    path = tmp_path / "events.parquet"
    mine = EventFilter(user=a)
    count = await export(conn, settings, ["ledger"], mine, ParquetSink(path))
    table = pq.read_table(path)
    assert table.num_rows == count == sum(1 for e in events if e.user_id == a)
    assert set(table.column("user_id").to_pylist()) == {str(a)}
    assert table.schema.field("occurred_at").type.tz == "UTC"

    deleted = EventFilter(types=frozenset({DELETED}))
    count = await export(conn, settings, ["ledger"], deleted, JsonlSink(io.StringIO()))
    assert count == sum(1 for e in events if e.type == DELETED) == 8
    window = EventFilter(after=events[9].position, upto=events[19].position)
    out = io.StringIO()
    assert await export(conn, settings, ["ledger"], window, JsonlSink(out)) == 10
    assert [json.loads(x)["position"] for x in out.getvalue().splitlines()] == [
        e.position for e in events[10:20]
    ]
    before = EventFilter(until=events[0].occurred_at - dt.timedelta(microseconds=1))
    assert await export(conn, settings, ["ledger"], before, JsonlSink(io.StringIO())) == 0
    since = EventFilter(since=events[-1].occurred_at)
    assert await export(conn, settings, ["ledger"], since, JsonlSink(io.StringIO())) >= 1
    # A store nobody wrote to yet exports nothing (no table).
    assert await export(conn, settings, ["budget"], EventFilter(), JsonlSink(io.StringIO())) == 0


async def test_a_scratch_replay_leaves_production_alone(
    settings: MitaSettings, conn: AsyncConnection[DictRow], ledger: LedgerApplication
) -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    ids = seed(ledger, [a, b], 30)
    live = TransactionsProjection(settings.schema_for("ledger"))
    await rebuild(conn, settings, live)
    production = await read_model(conn, live.schema)
    schema = scratch_schema(settings, "analysis")
    try:
        folded = await replay_into(
            conn, settings, live.on_schema(schema), EventFilter(user=a), batch_size=7
        )
        scratch = await read_model(conn, schema)
        expected = fold(ledger, ids)
        assert set(scratch["rows"]) == {i for i, row in expected["rows"].items() if row[0] == a}
        assert scratch["rows"] == {i: r for i, r in expected["rows"].items() if r[0] == a}
        assert scratch["totals"] == {a: expected["totals"][a]}
        assert folded == expected["totals"][a][2]  # every event of a's transactions
        # Replaying again starts from empty (not twice the totals).
        await replay_into(conn, settings, live.on_schema(schema), EventFilter(user=a))
        assert (await read_model(conn, schema))["totals"] == {a: expected["totals"][a]}
        assert await read_model(conn, live.schema) == production
    finally:
        await drop_schema(conn, schema)
    with pytest.raises(ValueError, match="scratch name"):
        scratch_schema(settings, "Robert'); DROP")


async def test_blue_green_rebuild_serves_throughout(
    settings: MitaSettings, conn: AsyncConnection[DictRow], ledger: LedgerApplication
) -> None:
    users = [uuid.uuid4() for _ in range(3)]
    ids = seed(ledger, users, 600)
    live = TransactionsProjection(settings.schema_for("ledger"))
    await rebuild(conn, settings, live)
    rows_before = len((await read_model(conn, live.schema))["rows"])
    applied_by_runner = 0
    answers: list[int] = []
    failures: list[BaseException] = []
    done = asyncio.Event()

    async def reader() -> None:
        """What the API does: read the live tables, again and again."""
        own = await db.connect(settings.database_url)
        try:
            while not done.is_set():
                try:
                    cur = await own.execute(
                        sql.SQL("SELECT count(*) AS n FROM {}.transactions").format(
                            sql.Identifier(live.schema)
                        )
                    )
                    row = await cur.fetchone()
                    await own.commit()
                    answers.append(int(row["n"]) if row else -1)
                except Exception as exc:  # any failed query fails the test
                    failures.append(exc)
                    await own.rollback()
                await asyncio.sleep(0.002)
        finally:
            await own.close()

    async def writer_and_runner() -> None:
        """New transactions keep arriving; the live runner applies them to the blue tables."""
        nonlocal applied_by_runner
        own = await db.connect(settings.database_url)
        try:
            after = (await stored(own, settings))[-1].position
            while not done.is_set():
                more = await asyncio.to_thread(seed, ledger, users, 5, batch=5)
                ids.extend(more)
                page = [
                    e
                    async for chunk in batches(own, source(settings), EventFilter(after=after))
                    for e in chunk
                ]
                after = page[-1].position
                async with own.transaction():
                    await lock_shared(own, live)  # as the runner does per batch
                    fresh = await claim(own, live, page)
                    await live.apply_many(own, fresh)
                applied_by_runner += len(fresh)
                await asyncio.sleep(0.01)
        finally:
            await own.close()

    tasks = [asyncio.create_task(reader()), asyncio.create_task(writer_and_runner())]
    phases: list[str] = []
    try:
        await asyncio.sleep(0.05)
        count = await rebuild_blue_green(
            conn, settings, live, batch_size=97, phase=phases.append, in_database=False
        )
        await asyncio.sleep(0.05)
    finally:
        done.set()
        await asyncio.gather(*tasks)
    assert not failures, failures[:3]
    assert phases == ["building", "catching up", "swapping", "done"]
    assert answers
    assert min(answers) >= rows_before
    assert count >= 600
    assert applied_by_runner > 0
    # The swapped read model is exactly the fold of every event, the late ones included.
    assert await read_model(conn, live.schema) == fold(ledger, ids)
    cur = await conn.execute(
        "SELECT count(*) AS n FROM information_schema.schemata WHERE schema_name = %s",
        (green_schema(live),),
    )
    assert (await cur.fetchone() or {"n": -1})["n"] == 0  # the green schema is gone
    await conn.commit()


async def test_a_failed_blue_green_build_leaves_blue_serving(
    settings: MitaSettings, conn: AsyncConnection[DictRow], ledger: LedgerApplication
) -> None:
    ids = seed(ledger, [uuid.uuid4()], 20)
    live = TransactionsProjection(settings.schema_for("ledger"))
    await rebuild(conn, settings, live)

    class Broken(TransactionsProjection):
        """Fails half way through a rebuild."""

        async def apply_many(
            self, c: AsyncConnection[DictRow], events: list[EventEnvelope]
        ) -> None:
            raise RuntimeError("disk full")

    broken = Broken(live.schema)
    with pytest.raises(RuntimeError, match="disk full"):
        await rebuild_blue_green(conn, settings, broken, in_database=False)
    assert await read_model(conn, live.schema) == fold(ledger, ids)
    cur = await conn.execute(
        "SELECT count(*) AS n FROM information_schema.schemata WHERE schema_name = %s",
        (green_schema(live),),
    )
    assert (await cur.fetchone() or {"n": -1})["n"] == 0
    await conn.commit()
