"""Test infrastructure: real Postgres, Redis/Valkey and a Kafka-protocol broker.

External servers are used when ``MITA_DATABASE_URL``, ``MITA_REDIS_URL`` and
``MITA_KAFKA_BOOTSTRAP`` are set; otherwise embedded ones are started for the session.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from psycopg import AsyncConnection
from psycopg.rows import DictRow

from shared import db
from shared.embedded import servers
from shared.settings import MitaSettings


@dataclass(frozen=True)
class Infra:
    """Addresses of the servers the tests talk to."""

    database_url: str
    kafka_bootstrap: str
    redis_url: str
    #: A folder for the session's files (mail outboxes); removed with the session.
    scratch: Path


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    """Start whatever servers are not configured externally, for the whole session.

    Embedded servers' data and the session's scratch files live in one temporary folder that
    is removed when the session ends, so a run leaves nothing behind.
    """
    with tempfile.TemporaryDirectory(prefix="mita-test-") as root:
        scratch = Path(root) / "scratch"
        scratch.mkdir()
        with servers(
            Path(root) / "servers",
            database_url=os.environ.get("MITA_DATABASE_URL", ""),
            kafka_bootstrap=os.environ.get("MITA_KAFKA_BOOTSTRAP", ""),
            redis_url=os.environ.get("MITA_REDIS_URL", ""),
        ) as found:
            yield Infra(found.database_url, found.kafka_bootstrap, found.redis_url, scratch)


def random_prefix() -> str:
    """A fresh namespace so tests never see each other's schemas or topics."""
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def settings(infra: Infra) -> MitaSettings:
    """Settings isolated to this test (own schemas and topics)."""
    return MitaSettings.namespaced(
        random_prefix(),
        infra.database_url,
        infra.kafka_bootstrap,
        infra.redis_url,
        relay_idle_check_seconds=1.0,
    )


@pytest.fixture
async def conn(settings: MitaSettings) -> AsyncIterator[AsyncConnection[DictRow]]:
    """An async Postgres connection for assertions."""
    c = await db.connect(settings.database_url)
    yield c
    await c.close()


@pytest.hookimpl(trylast=True)  # after pytest removed a passing run's tmp_path folders
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Remove pytest's own temporary root when the run left it empty (nothing behind)."""
    root = Path(tempfile.gettempdir()) / f"pytest-of-{getpass.getuser()}"
    with contextlib.suppress(OSError):  # not empty, or not there: leave it
        if root.is_dir() and not any(root.iterdir()):
            root.rmdir()
