"""Ledger read models: transactions (with per-user totals) and what the ledger knows of users."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from typing import Any, ClassVar

from eventsourcing.utils import get_topic
from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from contracts.auth import USER_DELETED, USER_PROFILE_UPDATED, USER_REGISTERED
from contracts.ledger import (
    FIELD_TYPES,
    TRANSACTION_AMENDED,
    TRANSACTION_DELETED,
    TRANSACTION_FIELDS,
    TRANSACTION_RECORDED,
)
from services.ledger.domain import AMENDABLE, DEFAULTS, Transaction, default_of
from shared.envelope import EventEnvelope
from shared.profiles import fold_profile
from shared.projections import Projection, Source

SQL_TYPES: dict[type, str] = {
    Decimal: "numeric", str: "text", dt.datetime: "timestamptz", uuid.UUID: "uuid",
    bool: "boolean", list: "jsonb",
}  # fmt: skip
# Column name -> SQL type, in table order (the batch upsert ships rows as one JSON document):
# the transaction's fields from the contract, framed by the row's own columns.
COLUMN_DEFS = {
    "id": "uuid", "user_id": "uuid",
    **{name: SQL_TYPES[FIELD_TYPES[name]] for name in TRANSACTION_FIELDS},
    "deleted": "boolean", "version": "bigint", "position": "bigint",
    "created_at": "timestamptz", "updated_at": "timestamptz",
}  # fmt: skip
COLUMNS = tuple(COLUMN_DEFS)
COLUMN_TYPES = tuple(COLUMN_DEFS.values())
# The table as first released; ``setup`` adds every later column to an existing table.
FIRST_COLUMNS = (
    "id uuid PRIMARY KEY, user_id uuid NOT NULL, amount numeric(14,2) NOT NULL, "
    "currency text NOT NULL, category text NOT NULL, spent_at timestamptz NOT NULL, "
    "description text NOT NULL, merchant text, deleted boolean NOT NULL DEFAULT false, "
    "version bigint NOT NULL, position bigint NOT NULL"
)
DECIMALS = frozenset(n for n in TRANSACTION_FIELDS if FIELD_TYPES[n] is Decimal)
# Stored by the transcoder as {"_type_", "_data_"} (the rest are plain JSON values).
TYPED = frozenset({"numeric", "timestamptz", "uuid"})
EVENT_CLASSES = (Transaction.Recorded, Transaction.Amended, Transaction.Deleted)


def added_columns() -> list[sql.Composable]:
    """Column definitions added after the first release (defaults from the domain's)."""
    first = {part.split()[0] for part in FIRST_COLUMNS.split(", ")}
    out: list[sql.Composable] = []
    for name, kind in COLUMN_DEFS.items():
        if name in first:
            continue
        default = DEFAULTS.get(name)
        column = sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(kind))
        if default is not None:
            column = sql.SQL("{} NOT NULL DEFAULT {}").format(column, literal(name, default))
        out.append(column)
    return out


def literal(name: str, value: Any) -> sql.Composable:
    """A field's Python value as an SQL literal of its column type."""
    kind = COLUMN_DEFS[name]
    shown = json.dumps(value) if kind == "jsonb" else value
    return sql.SQL("{}::{}").format(sql.Literal(shown), sql.SQL(kind))


class TransactionsProjection(Projection):
    """One row per transaction (deleted rows kept, flagged) and running totals per user.

    The totals are updated incrementally, so applying an event twice would show: the
    tracking rows written in the same transaction are what keeps them exact.
    """

    name = "ledger_transactions"
    replays_in_database = True
    #: The text columns an in-database fold copies sealed (opened after it, shared.crypto).
    personal_columns: ClassVar[dict[str, tuple[str, ...]]] = {
        "transactions": ("merchant", "description", "notes", "location")
    }
    sources = ("ledger",)
    handles = frozenset({TRANSACTION_RECORDED, TRANSACTION_AMENDED, TRANSACTION_DELETED})

    async def setup(self, conn: AsyncConnection[DictRow]) -> None:
        """Create the read model tables."""
        await conn.execute(
            sql.SQL("CREATE TABLE IF NOT EXISTS {} ({})").format(
                self.table("transactions"), sql.SQL(FIRST_COLUMNS)
            )
        )
        for column in added_columns():
            await conn.execute(
                sql.SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {}").format(
                    self.table("transactions"), column
                )
            )
        await conn.execute(
            sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (user_id, spent_at DESC)").format(
                sql.Identifier(f"{self.name}_user_spent"), self.table("transactions")
            )
        )
        await conn.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (user_id uuid PRIMARY KEY, "
                "live_count bigint NOT NULL DEFAULT 0, "
                "live_total numeric(16,2) NOT NULL DEFAULT 0, "
                "events_applied bigint NOT NULL DEFAULT 0)"
            ).format(self.table("user_totals"))
        )

    async def drop(self, conn: AsyncConnection[DictRow]) -> None:
        """Drop the read model tables."""
        for name in ("transactions", "user_totals"):
            await conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(self.table(name)))

    async def apply(self, conn: AsyncConnection[DictRow], event: EventEnvelope) -> None:
        """Apply one event."""
        await self.apply_many(conn, [event])

    async def apply_many(self, conn: AsyncConnection[DictRow], events: list[EventEnvelope]) -> None:
        """Fold a batch in memory from the current rows, then write each touched row once."""
        if not events:
            return
        ids = list({e.aggregate_id for e in events})
        cur = await conn.execute(
            sql.SQL("SELECT {} FROM {} WHERE id = ANY(%s)").format(
                sql.SQL(", ").join(map(sql.Identifier, COLUMNS)), self.table("transactions")
            ),
            (ids,),
        )
        rows: dict[uuid.UUID, dict[str, Any]] = {r["id"]: dict(r) for r in await cur.fetchall()}
        totals: dict[str, list[Any]] = {}
        for event in events:
            user = str(event.payload["user_id"])
            count, total = self._fold(rows, event)
            acc = totals.setdefault(user, [0, Decimal(0), 0])
            acc[0] += count
            acc[1] += total
            acc[2] += 1
        touched = [rows[i] for i in ids if i in rows]
        # One statement per table, rows shipped as one JSON document (no per-row round trips).
        await conn.execute(
            sql.SQL(
                "INSERT INTO {} ({cols}) SELECT {cols} "
                "FROM jsonb_to_recordset(%s::jsonb) AS x({defs}) "
                "ON CONFLICT (id) DO UPDATE SET {updates}"
            ).format(
                self.table("transactions"),
                cols=sql.SQL(", ").join(map(sql.Identifier, COLUMNS)),
                defs=sql.SQL(", ").join(
                    sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(t))
                    for c, t in zip(COLUMNS, COLUMN_TYPES, strict=True)
                ),
                updates=sql.SQL(", ").join(
                    sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in COLUMNS[1:]
                ),
            ),
            (json.dumps(touched, default=str),),
        )
        await conn.execute(
            sql.SQL(
                "INSERT INTO {} AS t (user_id, live_count, live_total, events_applied) "
                "SELECT * FROM jsonb_to_recordset(%s::jsonb) "
                "AS x(user_id uuid, live_count bigint, live_total numeric, events_applied bigint) "
                "ON CONFLICT (user_id) DO UPDATE SET "
                "live_count = t.live_count + EXCLUDED.live_count, "
                "live_total = t.live_total + EXCLUDED.live_total, "
                "events_applied = t.events_applied + EXCLUDED.events_applied"
            ).format(self.table("user_totals")),
            (
                json.dumps(
                    [
                        {"user_id": u, "live_count": c, "live_total": str(t), "events_applied": n}
                        for u, (c, t, n) in totals.items()
                    ]
                ),
            ),
        )

    async def replay_range(
        self, conn: AsyncConnection[DictRow], source: Source, lo: str, hi: str | None
    ) -> None:
        """Fold stored ledger events into rows inside Postgres (rebuild's fast path).

        The same fold as ``_fold``, generated from the same field list: the latest non-null
        value of each field wins, a delete flags the row. It reads the stored JSON
        (``{"_type_", "_data_"}`` for typed values); a field an older event version lacks reads
        as NULL and gets the domain's default, as the upcasters give it.
        """

        def latest(expr: sql.Composable) -> sql.Composable:
            return sql.SQL(
                "(array_agg({e} ORDER BY ver DESC) FILTER (WHERE {e} IS NOT NULL))[1]"
            ).format(e=expr)

        def field(name: str) -> sql.Composable:
            kind, key = COLUMN_DEFS[name], sql.Literal(name)
            if kind in TYPED:
                expr = sql.SQL("s->{}->>'_data_'").format(key)
            elif kind == "jsonb":
                expr = sql.SQL("nullif(s->{}, 'null'::jsonb)").format(key)
            else:
                expr = sql.SQL("s->>{}").format(key)
            value = sql.SQL("{}::{}").format(latest(expr), sql.SQL(kind))
            default = DEFAULTS.get(name)
            if default is None:
                return value
            return sql.SQL("coalesce({}, {})").format(value, literal(name, default))

        first = sql.SQL("(array_agg({}) FILTER (WHERE topic = %(rec)s))[1]::{}")
        upper = sql.SQL("AND originator_id < %(hi)s::uuid") if hi else sql.SQL("")
        await conn.execute(
            sql.SQL(
                "INSERT INTO {tx} ({cols}) SELECT id, {user}, {fields}, "
                "bool_or(topic = %(del)s), max(ver), max(pos), {created}, {updated} "
                # OFFSET 0 keeps the JSON parse from being repeated for every column.
                "FROM (SELECT notification_id AS pos, originator_id AS id, "
                "originator_version AS ver, topic, convert_from(state, 'UTF8')::jsonb AS s "
                "FROM {src} WHERE originator_id >= %(lo)s::uuid {upper} "
                "AND topic = ANY(%(topics)s) OFFSET 0) ev "
                "GROUP BY id HAVING bool_or(topic = %(rec)s)"
            ).format(
                tx=self.table("transactions"),
                cols=sql.SQL(", ").join(map(sql.Identifier, COLUMNS)),
                user=first.format(sql.SQL("s->'user_id'->>'_data_'"), sql.SQL("uuid")),
                fields=sql.SQL(", ").join(field(name) for name in TRANSACTION_FIELDS),
                created=first.format(sql.SQL("s->'timestamp'->>'_data_'"), sql.SQL("timestamptz")),
                updated=sql.SQL("{}::timestamptz").format(
                    latest(sql.SQL("s->'timestamp'->>'_data_'"))
                ),
                src=source.ident(),
                upper=upper,
            ),
            {
                "rec": get_topic(Transaction.Recorded),
                "del": get_topic(Transaction.Deleted),
                "topics": [get_topic(t) for t in EVENT_CLASSES],
                "lo": lo,
                "hi": hi,
            },
        )

    async def replay_finish(self, conn: AsyncConnection[DictRow]) -> None:
        """Per-user totals from the replayed rows (a version counts its aggregate's events)."""
        await conn.execute(
            sql.SQL(
                "INSERT INTO {} (user_id, live_count, live_total, events_applied) "
                "SELECT user_id, count(*) FILTER (WHERE NOT deleted), "
                "coalesce(sum(amount) FILTER (WHERE NOT deleted), 0), sum(version) "
                "FROM {} GROUP BY user_id"
            ).format(self.table("user_totals"), self.table("transactions"))
        )

    @staticmethod
    def _fold(rows: dict[uuid.UUID, dict[str, Any]], event: EventEnvelope) -> tuple[int, Decimal]:
        """Apply one event to the in-memory rows; return its (live count, live total) delta."""
        p = event.payload
        if event.type == TRANSACTION_RECORDED:
            fields = {name: p.get(name) for name in TRANSACTION_FIELDS}
            rows[event.aggregate_id] = {
                "id": event.aggregate_id,
                "user_id": uuid.UUID(str(p["user_id"])),
                **{name: folded(name, value) for name, value in fields.items()},
                "deleted": False,
                "version": event.aggregate_version,
                "position": event.position,
                "created_at": event.occurred_at,
                "updated_at": event.occurred_at,
            }
            amount: Decimal = rows[event.aggregate_id]["amount"]
            return 1, amount
        row = rows[event.aggregate_id]
        row["version"] = event.aggregate_version
        row["position"] = event.position
        row["updated_at"] = event.occurred_at
        if event.type == TRANSACTION_AMENDED:
            old = Decimal(row["amount"])
            for key in AMENDABLE:
                if p.get(key) is not None:
                    row[key] = folded(key, p[key])
            return 0, (Decimal(row["amount"]) - old) if not row["deleted"] else Decimal(0)
        if row["deleted"]:
            return 0, Decimal(0)
        row["deleted"] = True
        return -1, -Decimal(row["amount"])


def folded(name: str, value: Any) -> Any:
    """A payload value as its row column holds it (a missing one: the domain's default)."""
    if value is None:
        return default_of(name)
    return Decimal(str(value)) if name in DECIMALS else value


class UsersProjection(Projection):
    """What the ledger knows of each user from auth events: currency and timezone defaults."""

    name = "ledger_users"
    sources = ("auth",)
    handles = frozenset({USER_REGISTERED, USER_PROFILE_UPDATED, USER_DELETED})

    async def setup(self, conn: AsyncConnection[DictRow]) -> None:
        """Create the users table."""
        await conn.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (user_id uuid PRIMARY KEY, currency text, "
                "timezone text, version bigint NOT NULL)"
            ).format(self.table("users"))
        )

    async def drop(self, conn: AsyncConnection[DictRow]) -> None:
        """Drop the users table."""
        await conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(self.table("users")))

    async def apply(self, conn: AsyncConnection[DictRow], event: EventEnvelope) -> None:
        """Keep a user's currency and timezone (a deleted account's row goes)."""
        await fold_profile(conn, self.table("users"), event, ("currency", "timezone"))
