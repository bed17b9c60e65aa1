"""Operator tools and service processes on real servers: rebuild, status, worker, /ready."""

from __future__ import annotations

import datetime as dt
import importlib
import signal
import uuid
from decimal import Decimal

import pytest
from eventsourcing.persistence import StoredEvent
from fastapi.testclient import TestClient
from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from services import cli
from services.ledger.projections import TransactionsProjection
from shared import watermarks
from shared.rebuild import rebuild, status
from shared.settings import SERVICES, MitaSettings
from shared.sources import SourceTable
from shared.store import make_mapper
from tests.helpers import (
    fold,
    ledger_app,
    read_model,
    seed,
    settings_env,
    spawn,
    store_positions,
    tracked,
    wait_until,
)

PROJECTION = "ledger_transactions"


def v1_recorded(tx_id: uuid.UUID, user_id: uuid.UUID) -> StoredEvent:
    """A TransactionRecorded as version 1 stored it (no merchant, no class_version)."""
    state = {
        "timestamp": dt.datetime.now(dt.UTC),
        "originator_topic": "services.ledger.domain:Transaction",
        "user_id": user_id,
        "amount": Decimal("3.10"),
        "currency": "EUR",
        "category": "food",
        "spent_at": dt.datetime(2026, 3, 29, 2, 30, tzinfo=dt.UTC),
        "description": "v1",
    }
    return StoredEvent(
        originator_id=tx_id,
        originator_version=1,
        topic="services.ledger.domain:Transaction.Recorded",
        state=make_mapper().transcoder.encode(state),
    )


async def v1_ids(conn: AsyncConnection[DictRow], schema: str) -> list[uuid.UUID]:
    """Ids of transactions recorded by v1 events."""
    cur = await conn.execute(
        sql.SQL("SELECT id FROM {}.transactions WHERE description = 'v1'").format(
            sql.Identifier(schema)
        )
    )
    out = [r["id"] for r in await cur.fetchall()]
    await conn.commit()
    return out


def use_env(monkeypatch: pytest.MonkeyPatch, settings: MitaSettings) -> None:
    """Make ``MitaSettings()`` inside the CLI resolve to this test's settings."""
    for key, value in settings_env(settings).items():
        if key.startswith("MITA_"):
            monkeypatch.setenv(key, value)


@pytest.mark.parametrize("in_database", [True, False], ids=["sql-fold", "event-stream"])
async def test_rebuild_from_store_equals_fold_and_reports_status(
    settings: MitaSettings, conn: AsyncConnection[DictRow], in_database: bool
) -> None:
    """Rebuild replays the store (no broker involved); status then shows zero lag.

    Both replay paths (the projection's SQL fold and the event stream through ``apply_many``)
    must give exactly the fold of the events, including a v1 event and a deleted row.
    """
    app = ledger_app(settings)
    app.recorder.insert_events([v1_recorded(uuid.uuid4(), uuid.uuid4())])
    ids = seed(app, [uuid.uuid4() for _ in range(3)], 120)
    projection = TransactionsProjection(settings.schema_for("ledger"))
    before = await status(conn, settings, projection)
    assert before[0].lag_events == app.head_position()
    assert before[0].lag_seconds >= 0
    progress: list[tuple[int, int]] = []
    count = await rebuild(
        conn,
        settings,
        projection,
        batch_size=50,
        progress=lambda d, t: progress.append((d, t)),
        in_database=in_database,
    )
    assert count == app.head_position()
    assert progress[0] == (0, count)
    assert progress[-1] == (count, count)
    ids = [*ids, *(await v1_ids(conn, projection.schema))]
    expected = fold(app, ids)
    assert await read_model(conn, projection.schema) == expected
    # A second rebuild, by the other path, drops everything first and ends identical.
    assert await rebuild(conn, settings, projection, in_database=not in_database) == count
    assert await read_model(conn, projection.schema) == expected
    (after,) = await status(conn, settings, projection)
    assert (after.applied, after.lag_events, after.head) == (count, 0, app.head_position())
    # The refilled table has planner statistics (a fresh table has reltuples = -1).
    cur = await conn.execute(
        "SELECT reltuples FROM pg_class WHERE oid = %s::regclass",
        (f'"{projection.schema}".transactions',),
    )
    row = await cur.fetchone()
    await conn.commit()
    assert row is not None
    assert row["reltuples"] == len(expected["rows"])


def test_cli_rebuild_and_status(
    settings: MitaSettings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`mita projections rebuild <name>` prints a final count; `status` prints the lag."""
    app = ledger_app(settings)
    seed(app, [uuid.uuid4()], 40)
    use_env(monkeypatch, settings)
    assert cli.main(["projections", "rebuild", PROJECTION]) == 0
    out = capsys.readouterr()
    assert f"rebuilt {PROJECTION}: {app.head_position()} events" in out.out
    assert "[" in out.err, "a progress bar is drawn"
    assert cli.main(["projections", "status"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if PROJECTION in line)
    assert row.split()[1:5] == ["ledger", str(app.head_position()), str(app.head_position()), "0"]
    assert cli.main(["projections", "rebuild", "nope"]) == 2


async def test_worker_process_relays_and_projects_then_stops_cleanly(
    settings: MitaSettings, conn: AsyncConnection[DictRow]
) -> None:
    """`mita worker ledger` runs relay + projections; SIGTERM stops it with exit code 0."""
    app = ledger_app(settings)
    ids = seed(app, [uuid.uuid4() for _ in range(2)], 60)
    schema = settings.schema_for("ledger")
    proc = spawn(["worker", "ledger"], settings_env(settings))
    try:

        async def projected() -> bool:
            return await tracked(conn, schema, PROJECTION) == app.head_position()

        await wait_until(projected, 90, "the worker to project every event")
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    assert await read_model(conn, schema) == fold(app, ids)


INTERNAL = [s for s in SERVICES if s != "gateway"]


@pytest.mark.parametrize("service", INTERNAL)
def test_service_health_and_ready(settings: MitaSettings, service: str) -> None:
    """Every internal service answers /health and /ready against real servers."""
    module = importlib.import_module(f"services.{service}.main")
    service_settings = type(module.load_settings()).model_validate(settings.model_dump())
    with TestClient(module.create_app(service_settings)) as client:
        health = client.get("/health", headers={"X-Request-ID": "req-1"})
        assert health.status_code == 200
        assert health.json()["service"] == service
        assert health.headers["X-Request-ID"] == "req-1"
        ready = client.get("/ready")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"] == {"database": "ok", "redis": "ok", "kafka": "ok"}


def test_ready_reports_a_dead_dependency(settings: MitaSettings) -> None:
    """A dependency that does not answer makes /ready 503 (liveness stays 200)."""
    from services.ledger.main import create_app

    broken = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    with TestClient(create_app(broken)) as client:
        assert client.get("/health").status_code == 200
        ready = client.get("/ready")
        assert ready.status_code == 503
        assert ready.json()["checks"]["redis"] == "error"
        assert ready.json()["status"] == "degraded"


async def test_ready_says_warming_up_until_the_read_side_caught_up(
    settings: MitaSettings, conn: AsyncConnection[DictRow]
) -> None:
    """After a start, /ready is 503 "warming_up" (naming the consumers) while one of the
    service's consumers is short of the store head it found; caught up, 200 for good."""
    from services.ledger.main import create_app

    schema = settings.schema_for("ledger")
    app = ledger_app(settings)
    ids = seed(app, [uuid.uuid4()], 20)
    head = max(await store_positions(conn, schema))
    source = SourceTable("ledger", schema)
    consumer = TransactionsProjection(schema)
    await watermarks.setup_registry(conn, schema)
    await watermarks.record(conn, source, consumer, head - 5)
    with TestClient(create_app(settings)) as client:
        ready = client.get("/ready")
        assert ready.status_code == 503, ready.text
        assert ready.json()["status"] == "warming_up"
        assert ready.json()["warming_up"] == [f"{schema}.ledger_transactions"]
        assert client.get("/health").json()["read_side"] == "warming_up"
        await watermarks.record(conn, source, consumer, head)
        assert client.get("/ready").status_code == 200
        seed(app, [uuid.uuid4()], 5)  # later writes: a read side behind them is not warming up
        assert client.get("/ready").status_code == 200
        assert client.get("/health").json()["read_side"] == "ok"
    assert ids


def test_service_refuses_to_start_without_servers() -> None:
    """No configured servers outside `make run`: fail fast with a clear message."""
    from services.ledger.main import create_app

    with pytest.raises(ValueError, match="MITA_DATABASE_URL"):
        create_app(MitaSettings(database_url="", kafka_bootstrap="", redis_url=""))


def test_embedded_broker_refuses_a_busy_port() -> None:
    """A second broker on a taken port fails loudly instead of using the stranger."""
    from shared.embedded import EmbeddedTansu, free_port

    first = EmbeddedTansu(free_port())
    first.start()
    try:
        with pytest.raises(RuntimeError, match="already in use"):
            EmbeddedTansu(first.port).start()
    finally:
        first.stop()


def test_a_killed_embedded_broker_and_valkey_are_restarted_on_their_ports() -> None:
    """``mita up``'s guard: a dead embedded server is seen, restarted in place, and said."""
    from shared.embedded import EmbeddedTansu, EmbeddedValkey, Servers, free_port, port_open

    tansu = EmbeddedTansu(free_port())
    valkey = EmbeddedValkey(free_port())
    found = Servers(
        "",
        tansu.start(),
        valkey.start(),
        ("valkey", "tansu"),
        (("valkey", valkey), ("tansu", tansu)),
    )
    try:
        assert found.revive() == []  # both answer: nothing to do
        assert tansu.proc is not None
        tansu.proc.kill()
        tansu.proc.wait()
        valkey.stop()
        assert not tansu.alive()
        assert not valkey.alive()
        said = found.revive()
        assert said == ["embedded valkey was down: restarted", "embedded tansu was down: restarted"]
        assert tansu.alive()
        assert valkey.alive()
        assert port_open("127.0.0.1", tansu.port)
    finally:
        tansu.stop()
        valkey.stop()
