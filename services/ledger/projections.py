"""Ledger read models: transactions (with per-user totals) and what the ledger knows of users."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

from eventsourcing.utils import get_topic
from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from contracts.auth import USER_DELETED, USER_PROFILE_UPDATED, USER_REGISTERED
from contracts.ledger import TRANSACTION_AMENDED, TRANSACTION_DELETED, TRANSACTION_RECORDED
from services.ledger.domain import AMENDABLE, Transaction
from shared.envelope import EventEnvelope
from shared.projections import Projection, Source

# Column name -> SQL type, in table order (the batch upsert ships rows as one JSON document).
COLUMN_DEFS = {
    "id": "uuid", "user_id": "uuid", "amount": "numeric", "currency": "text",
    "category": "text", "spent_at": "timestamptz", "description": "text", "merchant": "text",
    "location": "text", "tags": "jsonb", "notes": "text", "is_recurring": "boolean",
    "goal_id": "uuid", "confidence_score": "numeric", "deleted": "boolean",
    "version": "bigint", "position": "bigint",
    "created_at": "timestamptz", "updated_at": "timestamptz",
}  # fmt: skip
COLUMNS = tuple(COLUMN_DEFS)
COLUMN_TYPES = tuple(COLUMN_DEFS.values())
# Added after the first release: ``setup`` adds them to an existing table (rebuild to fill).
ADDED_COLUMNS = (
    "location text", "tags jsonb NOT NULL DEFAULT '[]'", "notes text",
    "is_recurring boolean NOT NULL DEFAULT false", "goal_id uuid", "created_at timestamptz",
    "updated_at timestamptz", "confidence_score numeric(4,3)",
)  # fmt: skip
DECIMALS = frozenset({"amount", "confidence_score"})
EVENT_CLASSES = (Transaction.Recorded, Transaction.Amended, Transaction.Deleted)


class TransactionsProjection(Projection):
    """One row per transaction (deleted rows kept, flagged) and running totals per user.

    The totals are updated incrementally, so applying an event twice would show: the
    tracking rows written in the same transaction are what keeps them exact.
    """

    name = "ledger_transactions"
    replays_in_database = True
    sources = ("ledger",)
    handles = frozenset({TRANSACTION_RECORDED, TRANSACTION_AMENDED, TRANSACTION_DELETED})

    async def setup(self, conn: AsyncConnection[DictRow]) -> None:
        """Create the read model tables."""
        await conn.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} ("
                "id uuid PRIMARY KEY, user_id uuid NOT NULL, amount numeric(14,2) NOT NULL, "
                "currency text NOT NULL, category text NOT NULL, spent_at timestamptz NOT NULL, "
                "description text NOT NULL, merchant text, deleted boolean NOT NULL DEFAULT false, "
                "version bigint NOT NULL, position bigint NOT NULL)"
            ).format(self.table("transactions"))
        )
        for column in ADDED_COLUMNS:
            await conn.execute(
                sql.SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {}").format(
                    self.table("transactions"), sql.SQL(column)
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

        Mirrors ``_fold``: the latest non-null value of each field wins, a delete flags the
        row. It reads the stored JSON (``{"_type_", "_data_"}`` for typed values); fields an
        older event version lacks read as NULL and get the upcasters' defaults here (v1
        Recorded: no ``merchant``; v2: no location, tags, notes, is_recurring, goal_id; v3: no
        confidence_score).
        """

        def latest(expr: str) -> sql.Composable:
            return sql.SQL(
                "(array_agg({e} ORDER BY ver DESC) FILTER (WHERE {e} IS NOT NULL))[1]"
            ).format(e=sql.SQL(expr))

        upper = sql.SQL("AND originator_id < %(hi)s::uuid") if hi else sql.SQL("")
        await conn.execute(
            sql.SQL(
                "INSERT INTO {tx} ({cols}) SELECT id, "
                "(array_agg(s->'user_id'->>'_data_') FILTER (WHERE topic = %(rec)s))[1]::uuid, "
                "{amount}::numeric, {currency}, {category}, {spent_at}::timestamptz, "
                "coalesce({description}, ''), {merchant}, {location}, "
                "coalesce({tags}, '[]'::jsonb), {notes}, coalesce({recurring}::boolean, false), "
                "{goal}::uuid, {confidence}::numeric, bool_or(topic = %(del)s), max(ver), "
                "max(pos), "
                "(array_agg(s->'timestamp'->>'_data_') FILTER (WHERE topic = %(rec)s))[1]"
                "::timestamptz, {updated}::timestamptz "
                # OFFSET 0 keeps the JSON parse from being repeated for every column.
                "FROM (SELECT notification_id AS pos, originator_id AS id, "
                "originator_version AS ver, topic, convert_from(state, 'UTF8')::jsonb AS s "
                "FROM {src} WHERE originator_id >= %(lo)s::uuid {upper} "
                "AND topic = ANY(%(topics)s) OFFSET 0) ev "
                "GROUP BY id HAVING bool_or(topic = %(rec)s)"
            ).format(
                tx=self.table("transactions"),
                cols=sql.SQL(", ").join(map(sql.Identifier, COLUMNS)),
                amount=latest("s->'amount'->>'_data_'"),
                currency=latest("s->>'currency'"),
                category=latest("s->>'category'"),
                spent_at=latest("s->'spent_at'->>'_data_'"),
                description=latest("s->>'description'"),
                merchant=latest("s->>'merchant'"),
                location=latest("s->>'location'"),
                tags=latest("nullif(s->'tags', 'null'::jsonb)"),
                notes=latest("s->>'notes'"),
                recurring=latest("s->>'is_recurring'"),
                goal=latest("s->'goal_id'->>'_data_'"),
                confidence=latest("s->'confidence_score'->>'_data_'"),
                updated=latest("s->'timestamp'->>'_data_'"),
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
            amount = Decimal(str(p["amount"]))
            rows[event.aggregate_id] = {
                "id": event.aggregate_id,
                "user_id": uuid.UUID(str(p["user_id"])),
                "amount": amount,
                "currency": p["currency"],
                "category": p["category"],
                "spent_at": p["spent_at"],
                "description": p["description"],
                "merchant": p.get("merchant"),
                "location": p.get("location"),
                "tags": p.get("tags") or [],
                "notes": p.get("notes"),
                "is_recurring": bool(p.get("is_recurring")),
                "goal_id": p.get("goal_id"),
                "confidence_score": p.get("confidence_score"),
                "deleted": False,
                "version": event.aggregate_version,
                "position": event.position,
                "created_at": event.occurred_at,
                "updated_at": event.occurred_at,
            }
            return 1, amount
        row = rows[event.aggregate_id]
        row["version"] = event.aggregate_version
        row["position"] = event.position
        row["updated_at"] = event.occurred_at
        if event.type == TRANSACTION_AMENDED:
            old = Decimal(row["amount"])
            for key in AMENDABLE:
                if p.get(key) is not None:
                    row[key] = Decimal(str(p[key])) if key in DECIMALS else p[key]
            return 0, (Decimal(row["amount"]) - old) if not row["deleted"] else Decimal(0)
        if row["deleted"]:
            return 0, Decimal(0)
        row["deleted"] = True
        return -1, -Decimal(row["amount"])


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
        users = self.table("users")
        if event.type == USER_DELETED:
            await conn.execute(
                sql.SQL("DELETE FROM {} WHERE user_id = %s").format(users), (event.aggregate_id,)
            )
            return
        fields = event.payload.get("profile" if event.type == USER_REGISTERED else "changes")
        changes = {k: v for k, v in (fields or {}).items() if k in ("currency", "timezone")}
        columns = ["user_id", "version", *changes]
        updates = [sql.SQL("version = EXCLUDED.version")] + [
            sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(k)) for k in changes
        ]
        await conn.execute(
            sql.SQL(
                "INSERT INTO {} AS u ({}) VALUES ({}) ON CONFLICT (user_id) DO UPDATE SET {} "
                "WHERE u.version < EXCLUDED.version"
            ).format(
                users,
                sql.SQL(", ").join(map(sql.Identifier, columns)),
                sql.SQL(", ").join(sql.Placeholder() * len(columns)),
                sql.SQL(", ").join(updates),
            ),
            [event.aggregate_id, event.aggregate_version, *changes.values()],
        )
