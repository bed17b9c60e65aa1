"""``mita events …`` and ``mita projections …`` on real Postgres and the broker."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pyarrow.parquet as pq
import pytest
from psycopg import sql

from services.cli import main
from services.ledger.application import LedgerApplication
from shared.settings import MitaSettings
from tests.helpers import ledger_app, seed, settings_env


@pytest.fixture
def seeded(
    settings: MitaSettings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[LedgerApplication, uuid.UUID]]:
    """A ledger with one user's transactions, the CLI pointed at the test's namespace."""
    for key, value in settings_env(settings).items():
        if key.startswith("MITA_"):
            monkeypatch.setenv(key, value)
    app = ledger_app(settings)
    user = uuid.uuid4()
    seed(app, [user, uuid.uuid4()], 20)
    yield app, user
    app.close()
    assert main(["events", "drop-scratch", "cli"]) == 0
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        for service in ("ledger", "budget"):
            name = sql.Identifier(settings.schema_for(service))
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(name))


def test_list_export_and_replay(
    seeded: tuple[LedgerApplication, uuid.UUID],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, user = seeded
    assert main(["events", "list"]) == 0
    listed = capsys.readouterr().out
    assert "ledger.TransactionRecorded" in listed
    assert "20" in listed

    out = tmp_path / "mine.jsonl"
    argv = ["events", "export", "--service", "ledger", "--user", str(user), "--out", str(out)]
    assert main(argv) == 0
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert lines
    assert {x["user_id"] for x in lines} == {str(user)}
    assert f"exported {len(lines)} event(s)" in capsys.readouterr().err

    parquet = tmp_path / "all.parquet"
    assert (
        main(["events", "export", "--out", str(parquet), "--type", "ledger.TransactionDeleted"])
        == 0
    )
    assert pq.read_table(parquet).num_rows == 4
    assert main(["events", "export", "--out", "-", "--upto-position", "3"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3
    assert main(["events", "export", "--format", "parquet", "--out", "-"]) == 2

    assert (
        main(["events", "replay", "ledger_transactions", "--into", "cli", "--user", str(user)]) == 0
    )
    assert f"replayed {len(lines)} event(s)" in capsys.readouterr().out
    assert main(["events", "replay", "budget_redistribution", "--into", "cli"]) == 2
    assert main(["events", "replay", "ledger_transactions", "--into", "Bad-Name"]) == 2


def test_projections_as_of_and_dead_letters(
    seeded: tuple[LedgerApplication, uuid.UUID], capsys: pytest.CaptureFixture[str]
) -> None:
    _, user = seeded
    assert main(["projections", "rebuild", "ledger_transactions"]) == 0
    out = capsys.readouterr()
    assert "ledger_transactions: swapping" in out.err
    assert "rebuilt ledger_transactions" in out.out
    assert main(["projections", "rebuild", "ledger_transactions", "--in-place"]) == 0
    assert main(["projections", "status"]) == 0
    assert "ledger_transactions" in capsys.readouterr().out

    assert main(["events", "as-of", str(user), "2200-01-01T00:00:00Z"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["ledger"]["transaction_count"] > 0
    assert doc["budget"]["calendar"] == []
    assert main(["events", "as-of", str(user), "1999-01-01"]) == 0
    assert json.loads(capsys.readouterr().out)["ledger"]["transaction_count"] == 0

    assert main(["events", "dead-letters", "--projection", "ledger_transactions"]) == 0
    assert "0 dead letter(s)" in capsys.readouterr().err
    assert main(["events", "redrive", "ledger_transactions", "ledger", "1"]) == 1
    assert "not re-driven" in capsys.readouterr().err
    assert main(["events", "tail", "ledger", "-n", "5"]) == 0
    assert "event(s) from" in capsys.readouterr().err
