"""Helpers shared by integration and fault tests."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from services.ledger.application import LedgerApplication
from services.ledger.domain import AMENDABLE, Transaction
from shared import db
from shared.projections import poll
from shared.relay import Relay
from shared.settings import MitaSettings

CATEGORIES = ("food", "transportation", "shopping", "utilities", "travel")
# The v3 fields, set on some seeded transactions so every fold has to carry them.
OBJECT_FIELDS: dict[str, Any] = {
    "merchant": "Shop",
    "location": "Sofia",
    "tags": ["a", "b"],
    "notes": "note",
    "is_recurring": True,
    "goal_id": uuid.UUID(int=42),
}
# What ``fold`` and ``read_model`` compare of each transaction, in this order.
# The read model's folded columns: the domain's one list of amendable fields, and who/state.
FOLDED = ("user_id", *AMENDABLE, "deleted", "version")


def ledger_app(settings: MitaSettings) -> LedgerApplication:
    """The ledger write model in the test's schema."""
    app = LedgerApplication.for_database(settings.database_url, settings.schema_for("ledger"))
    assert isinstance(app, LedgerApplication)
    return app


def seed(
    app: LedgerApplication, users: list[uuid.UUID], count: int, *, batch: int = 200
) -> list[uuid.UUID]:
    """Append ``count`` recorded transactions, then amend every 3rd and delete every 5th."""
    ids: list[uuid.UUID] = []
    now = dt.datetime.now(dt.UTC)
    for start in range(0, count, batch):
        txs = [
            Transaction.record(
                transaction_id=uuid.uuid4(),
                user_id=users[i % len(users)],
                amount=Decimal(i % 997 + 1) / 100 + Decimal(i % 13),
                currency="usd",
                category=CATEGORIES[i % len(CATEGORIES)],
                spent_at=now,
                **(OBJECT_FIELDS if i % 4 == 0 else {}),
            )
            for i in range(start, min(start + batch, count))
        ]
        app.save(*txs)
        ids += [t.id for t in txs]
    for n, tx_id in enumerate(ids):
        user = users[n % len(users)]
        if n % 3 == 0:
            app.amend_transaction(tx_id, user_id=user, amount=Decimal("7.77"), category="travel")
        if n % 6 == 0:
            app.amend(tx_id, user_id=user, tags=[], notes="amended", is_recurring=n % 12 == 0)
        if n % 5 == 0:
            app.delete_transaction(tx_id, user_id=user)
    return ids


def fold(app: LedgerApplication, ids: list[uuid.UUID]) -> dict[str, Any]:
    """Expected read model computed from the write model (the events folded by the library)."""
    rows: dict[uuid.UUID, tuple[Any, ...]] = {}
    totals: dict[uuid.UUID, list[Any]] = {}
    for tx_id in ids:
        tx: Transaction = app.repository.get(tx_id)
        folded = tuple(getattr(tx, name) for name in FOLDED)
        rows[tx_id] = (*folded, tx.created_on, tx.modified_on)
        acc = totals.setdefault(tx.user_id, [0, Decimal("0.00"), 0])
        acc[2] += tx.version
        if not tx.deleted:
            acc[0] += 1
            acc[1] += tx.amount
    return {"rows": rows, "totals": {u: tuple(v) for u, v in totals.items()}}


async def read_model(conn: AsyncConnection[DictRow], schema: str) -> dict[str, Any]:
    """The ledger read model as stored, in ``fold``'s shape."""
    cur = await conn.execute(
        sql.SQL("SELECT * FROM {}.transactions").format(sql.Identifier(schema))
    )
    rows = {
        r["id"]: (*(r[name] for name in FOLDED), r["created_at"], r["updated_at"])
        for r in await cur.fetchall()
    }
    cur = await conn.execute(
        sql.SQL(
            "SELECT user_id, live_count, live_total, events_applied FROM {}.user_totals"
        ).format(sql.Identifier(schema))
    )
    totals = {
        r["user_id"]: (r["live_count"], r["live_total"], r["events_applied"])
        for r in await cur.fetchall()
    }
    await conn.commit()
    return {"rows": rows, "totals": totals}


async def tracked(conn: AsyncConnection[DictRow], schema: str, projection: str) -> int:
    """How many events the projection has recorded as applied (0 before it started)."""
    try:
        cur = await conn.execute(
            sql.SQL("SELECT count(*) AS n FROM {}.projection_applied WHERE projection = %s").format(
                sql.Identifier(schema)
            ),
            (projection,),
        )
        row = await cur.fetchone()
        await conn.commit()
    except Exception:
        await conn.rollback()
        return 0
    return int(row["n"]) if row else 0


async def relay_position(conn: AsyncConnection[DictRow], schema: str) -> int:
    """The relay's tracked position (0 before it ran)."""
    try:
        cur = await conn.execute(
            sql.SQL("SELECT max(position) AS p FROM {}.relay_position").format(
                sql.Identifier(schema)
            )
        )
        row = await cur.fetchone()
        await conn.commit()
    except Exception:
        await conn.rollback()
        return 0
    return int(row["p"] or 0) if row else 0


async def wait_until(
    check: Callable[[], Awaitable[bool]], timeout: float = 60.0, what: str = "condition"
) -> None:
    """Poll ``check`` until true, failing after ``timeout`` seconds (no bare sleeps)."""
    if not await poll(check, timeout):
        raise AssertionError(f"timed out after {timeout}s waiting for {what}")


async def drain(
    settings: MitaSettings, *, from_start: bool = False, service: str = "ledger"
) -> int:
    """Publish what a service's store holds past the relay's position (or all of it again)."""
    relay = Relay(settings, service)
    conn = await db.connect(settings.database_url)
    try:
        await relay._setup(conn)
        if from_start:  # as if the relay had crashed before ever recording its position
            await conn.execute(
                sql.SQL("UPDATE {}.relay_position SET position = 0").format(
                    sql.Identifier(settings.schema_for(service))
                )
            )
            await conn.commit()
        return await relay.drain(conn)
    finally:
        await relay._drop_producer()
        await conn.close()


async def store_positions(conn: AsyncConnection[DictRow], schema: str) -> set[int]:
    """Every notification id in the ledger store."""
    cur = await conn.execute(
        sql.SQL("SELECT notification_id FROM {}.ledger_events").format(sql.Identifier(schema))
    )
    out = {int(r["notification_id"]) for r in await cur.fetchall()}
    await conn.commit()
    return out


def settings_env(settings: MitaSettings, **extra: str) -> dict[str, str]:
    """Environment that makes a child ``mita`` process use the test's settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MITA_")}
    env.update(
        MITA_ENVIRONMENT="test",
        MITA_DATABASE_URL=settings.database_url,
        MITA_KAFKA_BOOTSTRAP=settings.kafka_bootstrap,
        MITA_REDIS_URL=settings.redis_url,
        MITA_SCHEMA_PREFIX=settings.schema_prefix,
        MITA_TOPIC_PREFIX=settings.topic_prefix,
        MITA_LOG_JSON="false",
        MITA_LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


def log_file(path: Path) -> BinaryIO:
    """A file for a child process's logs (the caller closes it)."""
    return path.open("wb")


def spawn(
    args: list[str], env: dict[str, str], stderr: Any = subprocess.PIPE
) -> subprocess.Popen[bytes]:
    """Start ``mita <args>`` as a child process (``stderr``: a pipe, or a file for a long run
    whose logs would fill an unread pipe and block the child)."""
    return subprocess.Popen(
        [sys.executable, "-m", "services.cli", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )


async def drop_schemas(settings: MitaSettings, *services: str) -> None:
    """Drop the test's schemas of ``services`` (what a fixture made, cleaned up)."""
    conn = await db.connect(settings.database_url)
    try:
        for service in services:
            await conn.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                    sql.Identifier(settings.schema_for(service))
                )
            )
        await conn.commit()
    finally:
        await conn.close()
