"""`mita up`'s guard under load: each embedded server is killed while transactions stream in,
restarted in place, and the ledger read model still ends equal to the store's fold."""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import psutil
import pytest
from eventsourcing.persistence import IntegrityError

from services import cli
from services.ledger.application import LedgerApplication
from services.ledger.domain import Transaction
from shared import db
from shared.embedded import EmbeddedPostgres, EmbeddedTansu, EmbeddedValkey, Servers, servers
from shared.settings import MitaSettings
from tests.conftest import random_prefix
from tests.helpers import (
    fold,
    ledger_app,
    log_file,
    read_model,
    settings_env,
    spawn,
    tracked,
    wait_until,
)

PROJECTION = "ledger_transactions"


@pytest.fixture(scope="module")
def embedded() -> Iterator[Servers]:
    """Servers of this module's own, all embedded (so they can be killed); their data goes
    with them (a factory temp dir would be kept after a passing run)."""
    with (
        tempfile.TemporaryDirectory(prefix="mita-test-supervised-") as root,
        servers(Path(root)) as found,
    ):
        yield found


def kill(found: Servers, name: str) -> None:
    """SIGKILL the named embedded server (for Postgres: the postmaster and its backends)."""
    server = dict(found.embedded)[name]
    if isinstance(server, EmbeddedTansu):
        assert server.proc is not None
        server.proc.kill()
        server.proc.wait()
    elif isinstance(server, EmbeddedValkey):
        pid = next(
            c.pid
            for c in psutil.net_connections("tcp")
            if c.laddr and c.laddr.port == server.port and c.status == "LISTEN" and c.pid
        )
        psutil.Process(pid).send_signal(signal.SIGKILL)
        psutil.Process(pid).wait(10)
    else:
        assert isinstance(server, EmbeddedPostgres)
        postmaster = psutil.Process(
            int((server.data_dir / "postmaster.pid").read_text().split()[0])
        )
        backends = postmaster.children(recursive=True)
        for proc in (postmaster, *backends):
            proc.kill()
        _, alive = psutil.wait_procs([postmaster, *backends], timeout=10)
        assert not alive
    # Not ``server.alive()``: the guard may already have restarted it (it checks every 0.2 s).


class Writer(threading.Thread):
    """A stream of single-transaction writes; a write refused while a server is down is
    retried, as a client would, until it is stored."""

    def __init__(self, settings: MitaSettings, user: uuid.UUID, after: int) -> None:
        super().__init__(daemon=True)
        self.settings, self.user, self.after = settings, user, after
        self.ids: list[uuid.UUID] = []
        self.enough = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        """Write a transaction every few milliseconds until ``enough``, then ``after`` more."""
        try:
            app = ledger_app(self.settings)
            i = 0
            while not self.enough.is_set():
                self._store(app, i)
                i += 1
                time.sleep(0.01)
            for j in range(self.after):
                self._store(app, i + j)
            app.close()
        except BaseException as exc:  # surfaced by the test
            self.error = exc

    def _store(self, app: LedgerApplication, i: int) -> None:
        tx = Transaction.record(
            transaction_id=uuid.uuid4(),
            user_id=self.user,
            amount=Decimal(i % 97 + 1) / 100,
            currency="usd",
            category="food",
            spent_at=dt.datetime.now(dt.UTC),
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                app.save(tx)
                break
            except IntegrityError:  # stored by the attempt whose answer was lost
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        self.ids.append(tx.id)


@pytest.mark.parametrize("name", ["tansu", "valkey", "postgres"])
async def test_a_server_killed_mid_stream_is_restarted_and_the_read_model_catches_up(
    embedded: Servers, name: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Kill one embedded server under a stream of writes: the guard restarts it and says so,
    the worker lives through it, and the read model ends equal to the store (nothing lost,
    nothing twice)."""
    settings = MitaSettings.namespaced(
        random_prefix(),
        embedded.database_url,
        embedded.kafka_bootstrap,
        embedded.redis_url,
        relay_idle_check_seconds=1.0,
    )
    writer = Writer(settings, uuid.uuid4(), after=100)
    # Its logs go to a file: while a server is down the worker warns on every retry, and an
    # unread pipe would fill up and block it.
    log = log_file(tmp_path / "worker.log")
    worker = spawn(["worker", "ledger"], settings_env(settings), stderr=log)
    stop = asyncio.Event()
    guard = asyncio.create_task(cli._revive_embedded(embedded, stop, every=0.2))
    try:
        writer.start()

        conn = await db.connect(settings.database_url)
        schema = settings.schema_for("ledger")

        async def streaming() -> bool:
            return len(writer.ids) >= 60 and await tracked(conn, schema, PROJECTION) > 0

        await wait_until(streaming, 60, "the worker to project the first writes")
        await conn.close()
        await asyncio.to_thread(kill, embedded, name)
        server = dict(embedded.embedded)[name]

        async def restarted() -> bool:
            return await asyncio.to_thread(server.alive)

        await wait_until(restarted, 60, f"the guard to restart {name}")
        writer.enough.set()
        await asyncio.to_thread(writer.join, 120)
        assert writer.error is None, writer.error
        assert not writer.is_alive()
        app = ledger_app(settings)
        expected = fold(app, writer.ids)
        conn = await db.connect(settings.database_url)
        try:

            async def caught_up() -> bool:
                return await tracked(conn, settings.schema_for("ledger"), PROJECTION) == len(
                    writer.ids
                )

            try:
                await wait_until(caught_up, 120, f"the read model to catch up after {name} died")
            except AssertionError as exc:
                tail = (tmp_path / "worker.log").read_bytes()[-4000:].decode(errors="replace")
                raise AssertionError(f"{exc}\nworker log:\n{tail}") from None
            assert await read_model(conn, settings.schema_for("ledger")) == expected
        finally:
            await conn.close()
            app.close()
        assert worker.poll() is None, "the worker died with the server"
    finally:
        stop.set()
        await guard
        worker.terminate()
        worker.wait(30)
        log.close()
    assert len(writer.ids) >= 160
    assert f"embedded {name} was down: restarted" in capsys.readouterr().out
