"""Operator tools and service processes on real servers: rebuild, status, worker, /ready."""

from __future__ import annotations

import importlib
import signal
import uuid

import pytest
from fastapi.testclient import TestClient
from psycopg import AsyncConnection
from psycopg.rows import DictRow

from services import cli
from services.ledger.projections import TransactionsProjection
from shared.rebuild import rebuild, status
from shared.settings import SERVICES, MitaSettings
from tests.helpers import (
    fold,
    ledger_app,
    read_model,
    seed,
    settings_env,
    spawn,
    tracked,
    wait_until,
)

PROJECTION = "ledger_transactions"


def use_env(monkeypatch: pytest.MonkeyPatch, settings: MitaSettings) -> None:
    """Make ``MitaSettings()`` inside the CLI resolve to this test's settings."""
    for key, value in settings_env(settings).items():
        if key.startswith("MITA_"):
            monkeypatch.setenv(key, value)


async def test_rebuild_from_store_equals_fold_and_reports_status(
    settings: MitaSettings, conn: AsyncConnection[DictRow]
) -> None:
    """Rebuild replays the store (no broker involved); status then shows zero lag."""
    app = ledger_app(settings)
    ids = seed(app, [uuid.uuid4() for _ in range(3)], 120)
    projection = TransactionsProjection(settings.schema_for("ledger"))
    before = await status(conn, settings, projection)
    assert before[0].lag_events == app.head_position()
    assert before[0].lag_seconds >= 0
    progress: list[tuple[int, int]] = []
    count = await rebuild(
        conn, settings, projection, batch_size=50, progress=lambda d, t: progress.append((d, t))
    )
    assert count == app.head_position()
    assert progress[0] == (0, count)
    assert progress[-1] == (count, count)
    assert await read_model(conn, projection.schema) == fold(app, ids)
    # A second rebuild drops everything first and ends identical.
    assert await rebuild(conn, settings, projection) == count
    assert await read_model(conn, projection.schema) == fold(app, ids)
    (after,) = await status(conn, settings, projection)
    assert (after.applied, after.lag_events, after.head) == (count, 0, app.head_position())


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


@pytest.mark.parametrize("service", SERVICES)
def test_service_health_and_ready(settings: MitaSettings, service: str) -> None:
    """Every service answers /health and /ready against real Postgres, Redis and broker."""
    module = importlib.import_module(f"services.{service}.main")
    with TestClient(module.create_app(settings)) as client:
        health = client.get("/health", headers={"X-Request-ID": "req-1"})
        assert health.status_code == 200
        assert health.json()["service"] == service
        assert health.headers["X-Request-ID"] == "req-1"
        ready = client.get("/ready")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"] == {"database": "ok", "redis": "ok", "kafka": "ok"}


def test_ready_reports_a_dead_dependency(settings: MitaSettings) -> None:
    """A dependency that does not answer makes /ready 503 (liveness stays 200)."""
    from services.gateway.main import create_app

    broken = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    with TestClient(create_app(broken)) as client:
        assert client.get("/health").status_code == 200
        ready = client.get("/ready")
        assert ready.status_code == 503
        assert ready.json()["checks"]["redis"] == "error"
        assert ready.json()["status"] == "degraded"


def test_service_refuses_to_start_without_servers() -> None:
    """No configured servers outside `make run`: fail fast with a clear message."""
    from services.ledger.main import create_app

    with pytest.raises(ValueError, match="MITA_DATABASE_URL"):
        create_app(MitaSettings(database_url="", kafka_bootstrap="", redis_url=""))
