"""Postgres helpers: conninfo parsing, async connections and schema bootstrap."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import AsyncConnection, sql
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool

WRITE_POOL_SIZE = 1
WRITE_POOL_OVERFLOW = 2


def eventsourcing_env(
    database_url: str,
    schema: str,
    app_name: str,
    *,
    pool_size: int = WRITE_POOL_SIZE,
    max_overflow: int = WRITE_POOL_OVERFLOW,
) -> dict[str, str]:
    """Translate a Postgres URL into the ``eventsourcing`` library's env for one schema."""
    parts = conninfo_to_dict(database_url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": str(parts.get("dbname") or "postgres"),
        "POSTGRES_HOST": str(parts.get("host") or "127.0.0.1"),
        "POSTGRES_PORT": str(parts.get("port") or "5432"),
        "POSTGRES_USER": str(parts.get("user") or "postgres"),
        "POSTGRES_PASSWORD": str(parts.get("password") or ""),
        "POSTGRES_SCHEMA": schema,
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": str(max_overflow),
        "POSTGRES_LOCK_TIMEOUT": "5",
        "CREATE_TABLE": "true",
        f"{app_name.upper()}_POSTGRES_SCHEMA": schema,
    }


def events_table(app_name: str) -> str:
    """Name of the eventsourcing notification log table of an application."""
    return f"{app_name.lower()}_events"


async def connect(database_url: str, *, autocommit: bool = False) -> AsyncConnection[DictRow]:
    """Open an async connection returning dict rows."""
    return await AsyncConnection.connect(database_url, autocommit=autocommit, row_factory=dict_row)


async def ensure_schema(conn: AsyncConnection[DictRow], schema: str) -> None:
    """Create ``schema`` if it does not exist (idempotent, race-safe)."""
    async with conn.transaction():
        # Serialise concurrent creators: CREATE SCHEMA IF NOT EXISTS can still race.
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (schema,))
        await conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))


def ensure_schema_sync(database_url: str, schema: str) -> None:
    """Create ``schema`` before the eventsourcing library creates its tables in it."""
    with psycopg.connect(database_url, autocommit=True) as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (schema,))
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))


def read_model_pool(
    database_url: str, max_size: int = 10, label: str = "read"
) -> AsyncConnectionPool[Any]:
    """An unopened pool for read-model queries (dict rows; answers carry UTC offsets), each
    use of a connection timed under ``label`` (``shared.metrics``)."""
    from shared.metrics import TimedPool

    return TimedPool(
        database_url,
        pool_label=label,
        min_size=1,
        max_size=max_size,
        kwargs={"row_factory": dict_row, "options": "-c TimeZone=UTC"},
        open=False,
    )


async def ping(database_url: str) -> bool:
    """Return whether Postgres answers a trivial query."""
    try:
        conn = await AsyncConnection.connect(database_url, connect_timeout=3)
        async with conn:
            await conn.execute("SELECT 1")
        return True
    except Exception:
        return False


async def read_rows(
    conn: AsyncConnection[DictRow], query: sql.Composed, params: Any = ()
) -> list[dict[str, Any]]:
    """A read model query's rows, committed; a read model not created yet reads as empty."""
    try:
        cur = await conn.execute(query, params)
    except psycopg.errors.UndefinedTable:
        await conn.rollback()
        return []
    rows = [dict(r) for r in await cur.fetchall()]
    await conn.commit()
    return rows


def like_escaped(text: str) -> str:
    """``text`` for a LIKE pattern, its wildcards and escape character taken literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
