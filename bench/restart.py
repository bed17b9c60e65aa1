"""A restart costs the backlog, not the history: with a million stored events already
applied, how long from starting the relay and a projection against an emptied broker (as
after ``make run`` restarts the embedded one) to the read side caught up; and the same with a
backlog the read side had not applied yet, read from the store."""

from __future__ import annotations

import asyncio
import time

from psycopg import sql

from bench.append import ledger_app, make_transaction
from bench.report import Report, progress
from services.ledger.projections import TransactionsProjection
from shared import db, watermarks
from shared.projections import setup_tracking, tracking_table
from shared.relay import Relay
from shared.runner import ProjectionRunner
from shared.settings import MitaSettings
from shared.sources import SourceTable

SECTION = "restart"


async def stored(settings: MitaSettings, n: int, backlog: int) -> tuple[SourceTable, int]:
    """``n`` stored Recorded events (copies of a real one under new ids, by SQL), all but the
    last ``backlog`` applied and tracked; the relay's position and the watermark at that point."""
    app = ledger_app(settings)
    try:
        app.save(make_transaction(0))
    finally:
        app.close()
    schema = settings.schema_for("ledger")
    source = SourceTable("ledger", schema)
    consumer = TransactionsProjection(schema)
    conn = await db.connect(settings.database_url)
    try:
        await conn.execute(
            sql.SQL(
                "INSERT INTO {t} (originator_id, originator_version, topic, state) "
                "SELECT gen_random_uuid(), 1, e.topic, e.state FROM {t} e, "
                "generate_series(1, %s) WHERE e.notification_id = 1"
            ).format(t=source.ident()),
            (n - 1,),
        )
        await setup_tracking(conn, schema)
        await consumer.setup(conn)
        await conn.execute(
            sql.SQL(
                "INSERT INTO {} (projection, service, position) SELECT %s, 'ledger', "
                "notification_id FROM {} ORDER BY notification_id LIMIT %s"
            ).format(tracking_table(schema), source.ident()),
            (consumer.name, n - backlog),
        )
        await conn.commit()
        await conn.execute(sql.SQL("ANALYZE {}").format(source.ident()))
        await conn.execute(sql.SQL("ANALYZE {}").format(tracking_table(schema)))
        await conn.commit()
        relay = Relay(settings, "ledger")
        await relay._setup(conn)
        await conn.execute(
            sql.SQL(
                "UPDATE {} SET position = %s, published = %s, probe_partition = 0, "
                "probe_offset = 0, probe_event_id = 'gone with the broker'"
            ).format(relay._tracking()),
            (n, n),  # everything was published to a broker that is gone now
        )
        await conn.commit()
        await watermarks.setup_registry(conn, schema)
        await watermarks.record(conn, source, consumer, n - backlog)
        return source, n - backlog
    finally:
        await conn.close()


async def restart(settings: MitaSettings, n: int) -> tuple[float, int, int, str]:
    """Start the relay and the projection; seconds until the relay found the broker empty and
    went back to the watermark, and the projection consumes live with its watermark at the
    head; events re-published, events read from the store."""
    schema = settings.schema_for("ledger")
    source = SourceTable("ledger", schema)
    consumer = TransactionsProjection(schema)
    relay = Relay(settings, "ledger")
    runner = ProjectionRunner(settings, consumer)
    stop = asyncio.Event()
    started = time.perf_counter()
    tasks = [asyncio.create_task(relay.run(stop)), asyncio.create_task(runner.run(stop))]
    conn = await db.connect(settings.database_url)
    try:
        deadline = time.monotonic() + 600
        marks: dict[str, float] = {}
        while len(marks) < 2:
            if time.monotonic() > deadline:
                raise TimeoutError("the read side did not catch up in 10 minutes")
            relayed = relay.rewound_to is not None and (await relay.position(conn))[0] >= n
            if "relay" not in marks and relayed:
                marks["relay"] = time.perf_counter() - started
            applied = await watermarks.recorded(conn, source, consumer) >= n
            if "projection" not in marks and runner.assigned.is_set() and applied:
                marks["projection"] = time.perf_counter() - started
            await asyncio.sleep(0.01)
        seconds = max(marks.values())
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        await conn.close()
    detail = f"relay {marks['relay']:.2f} s, projection {marks['projection']:.2f} s"
    return seconds, relay.published_total, runner.caught_up_from_store, detail


async def run(
    first: MitaSettings, second: MitaSettings, report: Report, n: int, backlog: int
) -> None:
    """Measure both restarts, each on its own store of ``n`` events (two namespaces)."""
    for label, behind, fresh in (("caught up", 0, first), ("with a backlog", backlog, second)):
        progress(f"restart: storing {n:,} ledger events ({behind:,} not applied)")
        await stored(fresh, n, behind)
        seconds, republished, from_store, detail = await restart(fresh, n)
        report.add(
            SECTION,
            f"restart to caught up, {n:,} stored, {label}",
            f"{seconds:.2f}",
            "s",
            f"{detail} (the projection's includes joining the consumer group); re-published "
            f"{republished:,} (a relay going back to 0 re-published {n:,}), read "
            f"{from_store:,} from the store",
        )
