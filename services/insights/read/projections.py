"""Insights read models, each rebuildable from zero.

``insights_spending``: one row per ledger transaction (deleted ones flagged) — the analytics
sum these in SQL, so every total is the sum of the user's live transactions to the cent.
``insights_users``: each user's zone, income and currency from auth. ``insights_moods`` and
``insights_usage`` (usage counts per day, kind and feature: no personal data) from our own
events.
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

from contracts.auth import USER_DELETED, USER_PROFILE_UPDATED, USER_REGISTERED
from contracts.behavior import NOTIFICATIONS_CHANGED, PREFERENCES_CHANGED
from contracts.insights import CLUSTERS_FITTED, MOOD_RECORDED, SNAPSHOT_TAKEN, USAGE_RECORDED
from contracts.ledger import TRANSACTION_AMENDED, TRANSACTION_DELETED, TRANSACTION_RECORDED
from shared.envelope import EventEnvelope
from shared.profiles import fold_profile
from shared.projections import Projection

SPENDING_FIELDS = ("amount", "currency", "category", "merchant", "spent_at")


class SimpleProjection(Projection):
    """A projection of tables created by ``DDL`` and dropped together."""

    tables: tuple[str, ...] = ()
    ddl: tuple[str, ...] = ()

    async def setup(self, conn: AsyncConnection[DictRow]) -> None:
        """Create the tables (and indexes)."""
        for statement in self.ddl:
            await conn.execute(sql.SQL(statement).format(*(self.table(t) for t in self.tables)))

    async def drop(self, conn: AsyncConnection[DictRow]) -> None:
        """Drop the tables."""
        for name in self.tables:
            await conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(self.table(name)))


class SpendingProjection(SimpleProjection):
    """The ledger's transactions as spending facts."""

    name = "insights_spending"
    sources = ("ledger",)
    handles = frozenset({TRANSACTION_RECORDED, TRANSACTION_AMENDED, TRANSACTION_DELETED})
    tables = ("spending", "spending_marks")
    ddl = (
        "CREATE TABLE IF NOT EXISTS {0} (id uuid PRIMARY KEY, user_id uuid NOT NULL, "
        "amount numeric(14,2) NOT NULL, currency text NOT NULL, category text NOT NULL, "
        "merchant text, spent_at timestamptz NOT NULL, deleted boolean NOT NULL DEFAULT false, "
        "version bigint NOT NULL)",
        # Covering: the analytics' sums scan a user's period without touching the heap (a
        # generic plan of a prepared read takes this index even for the 100k-row user).
        "CREATE INDEX IF NOT EXISTS insights_spending_user_period ON {0} (user_id, spent_at) "
        "INCLUDE (amount, category, deleted)",
        # The ledger position of each user's latest spending event: answers cached under it
        # are stale the moment it moves, and a rebuild ends on the same mark for the same rows.
        "CREATE TABLE IF NOT EXISTS {1} (user_id uuid PRIMARY KEY, position bigint NOT NULL)",
    )

    async def setup(self, conn: AsyncConnection[DictRow]) -> None:
        """Create the tables; drop the index the covering one replaced."""
        await super().setup(conn)
        await conn.execute(
            sql.SQL("DROP INDEX IF EXISTS {}.insights_spending_user_time").format(
                sql.Identifier(self.schema)
            )
        )

    async def apply_many(self, conn: AsyncConnection[DictRow], events: list[EventEnvelope]) -> None:
        """Apply each event, then move each touched user's mark once."""
        marks: dict[str, int] = {}
        for event in events:
            user = await self._apply_one(conn, event)
            if user is not None:
                marks[user] = max(marks.get(user, 0), event.position)
        if marks:
            await conn.execute(
                sql.SQL(
                    "INSERT INTO {0} (user_id, position) SELECT * FROM "
                    "unnest(%s::uuid[], %s::bigint[]) ON CONFLICT (user_id) DO UPDATE SET "
                    "position = greatest({0}.position, EXCLUDED.position)"
                ).format(self.table("spending_marks")),
                (list(marks), list(marks.values())),
            )

    async def apply(self, conn: AsyncConnection[DictRow], event: EventEnvelope) -> None:
        """Apply one event and move its user's mark."""
        await self.apply_many(conn, [event])

    async def _apply_one(self, conn: AsyncConnection[DictRow], event: EventEnvelope) -> str | None:
        """Insert, change or flag one transaction's row (older versions never overwrite);
        the user whose spending changed, if any."""
        p, table = event.payload, self.table("spending")
        if event.type == TRANSACTION_RECORDED:
            cur = await conn.execute(
                sql.SQL(
                    "INSERT INTO {} (id, user_id, amount, currency, category, merchant, spent_at, "
                    "version) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING "
                    "RETURNING user_id"
                ).format(table),
                (event.aggregate_id, p["user_id"], *(p.get(f) for f in SPENDING_FIELDS),
                 event.aggregate_version),
            )  # fmt: skip
            return await _returned_user(cur)
        changes: dict[str, Any] = (
            {"deleted": True}
            if event.type == TRANSACTION_DELETED
            else {f: p[f] for f in SPENDING_FIELDS if p.get(f) is not None}
        )
        sets = [sql.SQL("{} = %s").format(sql.Identifier(k)) for k in changes]
        cur = await conn.execute(
            sql.SQL("UPDATE {} SET {} WHERE id = %s AND version < %s RETURNING user_id").format(
                table, sql.SQL(", ").join([*sets, sql.SQL("version = %s")])
            ),
            (
                *changes.values(),
                event.aggregate_version,
                event.aggregate_id,
                event.aggregate_version,
            ),
        )
        return await _returned_user(cur)


async def _returned_user(cur: Any) -> str | None:
    """The ``user_id`` a statement's RETURNING gave (None when it changed no row)."""
    row = await cur.fetchone()
    return None if row is None else str(row["user_id"])


class InsightUsersProjection(SimpleProjection):
    """Each user's timezone, monthly income and currency, as auth last said."""

    name = "insights_users"
    sources = ("auth",)
    handles = frozenset({USER_REGISTERED, USER_PROFILE_UPDATED, USER_DELETED})
    tables = ("users",)
    ddl = (
        "CREATE TABLE IF NOT EXISTS {0} (user_id uuid PRIMARY KEY, timezone text, "
        "income numeric(14,2), currency text, version bigint NOT NULL)",
    )
    fields = ("timezone", "income", "currency")

    async def apply(self, conn: AsyncConnection[DictRow], event: EventEnvelope) -> None:
        """Keep what the analytics need of a user (a deleted account's row goes)."""
        await fold_profile(conn, self.table("users"), event, self.fields)


class MoodsProjection(SimpleProjection):
    """Mood entries by user and day."""

    name = "insights_moods"
    sources = ("insights",)
    handles = frozenset({MOOD_RECORDED})
    tables = ("moods",)
    ddl = (
        "CREATE TABLE IF NOT EXISTS {0} (id uuid PRIMARY KEY, user_id uuid NOT NULL, "
        "mood smallint NOT NULL, day date NOT NULL, recorded_at timestamptz NOT NULL)",
        "CREATE INDEX IF NOT EXISTS insights_moods_user_day ON {0} (user_id, day)",
    )

    async def apply(self, conn: AsyncConnection[DictRow], event: EventEnvelope) -> None:
        """Keep one entry."""
        p = event.payload
        await conn.execute(
            sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING").format(
                self.table("moods")
            ),
            (event.aggregate_id, p["user_id"], p["mood"], p["day"], p["recorded_at"]),
        )


class UsageProjection(SimpleProjection):
    """Usage counts per UTC day, kind and feature (no personal data), the active users of
    each day, and each user's own counts per feature (for the user alone)."""

    name = "insights_usage"
    sources = ("insights",)
    handles = frozenset({USAGE_RECORDED})
    tables = ("usage_daily", "usage_users", "usage_by_user")
    ddl = (
        "CREATE TABLE IF NOT EXISTS {0} (day date NOT NULL, kind text NOT NULL, "
        "feature text NOT NULL, events bigint NOT NULL, PRIMARY KEY (day, kind, feature))",
        "CREATE TABLE IF NOT EXISTS {1} (day date NOT NULL, user_id uuid NOT NULL, "
        "PRIMARY KEY (day, user_id))",
        "CREATE TABLE IF NOT EXISTS {2} (user_id uuid NOT NULL, kind text NOT NULL, "
        "feature text NOT NULL, events bigint NOT NULL, first_at timestamptz NOT NULL, "
        "last_at timestamptz NOT NULL, PRIMARY KEY (user_id, feature, kind))",
    )

    async def apply(self, conn: AsyncConnection[DictRow], event: EventEnvelope) -> None:
        """Count one event (its tracking row, in the same transaction, keeps the count exact)."""
        p = event.payload
        day = str(p["occurred_at"])[:10]
        await conn.execute(
            sql.SQL(
                "INSERT INTO {} VALUES (%s, %s, %s, 1) ON CONFLICT (day, kind, feature) "
                "DO UPDATE SET events = {}.events + 1"
            ).format(self.table("usage_daily"), sql.Identifier("usage_daily")),
            (day, p["kind"], p.get("feature") or p.get("screen") or ""),
        )
        await conn.execute(
            sql.SQL("INSERT INTO {} VALUES (%s, %s) ON CONFLICT DO NOTHING").format(
                self.table("usage_users")
            ),
            (day, p["user_id"]),
        )
        await conn.execute(
            sql.SQL(
                "INSERT INTO {} VALUES (%s, %s, %s, 1, %s, %s) "
                "ON CONFLICT (user_id, feature, kind) DO UPDATE SET events = {}.events + 1, "
                "first_at = least({}.first_at, EXCLUDED.first_at), "
                "last_at = greatest({}.last_at, EXCLUDED.last_at)"
            ).format(self.table("usage_by_user"), *[sql.Identifier("usage_by_user")] * 3),
            (p["user_id"], p["kind"], p.get("feature") or p.get("screen") or "",
             p["occurred_at"], p["occurred_at"]),
        )  # fmt: skip


class ClusterModelProjection(SimpleProjection):
    """The current behavioural cluster model (the latest refit)."""

    name = "insights_cluster_model"
    sources = ("insights",)
    handles = frozenset({CLUSTERS_FITTED})
    tables = ("cluster_model",)
    ddl = (
        "CREATE TABLE IF NOT EXISTS {0} (id smallint PRIMARY KEY, version text NOT NULL, "
        "model jsonb NOT NULL, fitted_at timestamptz NOT NULL, position bigint NOT NULL)",
    )

    async def apply(self, conn: AsyncConnection[DictRow], event: EventEnvelope) -> None:
        """Keep the latest model."""
        p = event.payload
        await conn.execute(
            sql.SQL(
                "INSERT INTO {} VALUES (1, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET "
                "version = EXCLUDED.version, model = EXCLUDED.model, "
                "fitted_at = EXCLUDED.fitted_at, position = EXCLUDED.position "
                "WHERE {}.position < EXCLUDED.position"
            ).format(self.table("cluster_model"), sql.Identifier("cluster_model")),
            (p["model"]["version"], Jsonb(p["model"]), p["fitted_at"], event.position),
        )


class BehaviorSettingsProjection(SimpleProjection):
    """Each user's changed behaviour settings (the defaults fill in the rest on reading)."""

    name = "insights_behavior_settings"
    sources = ("insights",)
    handles = frozenset({PREFERENCES_CHANGED, NOTIFICATIONS_CHANGED})
    tables = ("behavior_settings",)
    ddl = (
        "CREATE TABLE IF NOT EXISTS {0} (user_id uuid PRIMARY KEY, "
        "preferences jsonb NOT NULL DEFAULT '{{}}', notifications jsonb NOT NULL DEFAULT '{{}}', "
        "preferences_at timestamptz, notifications_at timestamptz, version bigint NOT NULL)",
    )

    async def apply(self, conn: AsyncConnection[DictRow], event: EventEnvelope) -> None:
        """Merge one change into the user's row (an older version never overwrites)."""
        p = event.payload
        group = "preferences" if event.type == PREFERENCES_CHANGED else "notifications"
        column, at = sql.Identifier(group), sql.Identifier(f"{group}_at")
        table = self.table("behavior_settings")
        await conn.execute(
            sql.SQL(
                "INSERT INTO {t} (user_id, {c}, {a}, version) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (user_id) DO UPDATE SET {c} = {me}.{c} || EXCLUDED.{c}, "
                "{a} = EXCLUDED.{a}, version = EXCLUDED.version "
                "WHERE {me}.version < EXCLUDED.version"
            ).format(t=table, c=column, a=at, me=sql.Identifier("behavior_settings")),
            (p["user_id"], Jsonb(p["changes"]), p["changed_at"], event.aggregate_version),
        )


class SnapshotsProjection(SimpleProjection):
    """Each user's latest snapshot of each month."""

    name = "insights_snapshots"
    sources = ("insights",)
    handles = frozenset({SNAPSHOT_TAKEN})
    tables = ("snapshots",)
    ddl = (
        "CREATE TABLE IF NOT EXISTS {0} (user_id uuid NOT NULL, year int NOT NULL, "
        "month int NOT NULL, score int, rating text NOT NULL, risk text NOT NULL, "
        "components jsonb NOT NULL, summary text NOT NULL, taken_at timestamptz NOT NULL, "
        "version bigint NOT NULL, PRIMARY KEY (user_id, year, month))",
        "CREATE INDEX IF NOT EXISTS insights_snapshots_latest ON {0} (user_id, taken_at DESC)",
    )

    async def apply(self, conn: AsyncConnection[DictRow], event: EventEnvelope) -> None:
        """Keep the month's latest snapshot (an older version never overwrites)."""
        p = event.payload
        await conn.execute(
            sql.SQL(
                "INSERT INTO {t} VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (user_id, year, month) DO UPDATE SET score = EXCLUDED.score, "
                "rating = EXCLUDED.rating, risk = EXCLUDED.risk, "
                "components = EXCLUDED.components, summary = EXCLUDED.summary, "
                "taken_at = EXCLUDED.taken_at, version = EXCLUDED.version "
                "WHERE {me}.version < EXCLUDED.version"
            ).format(t=self.table("snapshots"), me=sql.Identifier("snapshots")),
            (p["user_id"], p["year"], p["month"], p["score"], p["rating"], p["risk"],
             Jsonb(p["components"]), p["summary"], p["taken_at"], event.aggregate_version),
        )  # fmt: skip
