"""``ledger_goals``: one row per goal as the Goals tab lists it (deleted ones flagged), rebuilt
from the goal events (a row's version only moves forward), and each user's monthly income from
auth (the recommendations' rules read it)."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from contracts.auth import USER_DELETED, USER_PROFILE_UPDATED, USER_REGISTERED
from contracts.goals import (
    FORM_FIELDS,
    GOAL_COMPLETED,
    GOAL_CREATED,
    GOAL_DELETED,
    GOAL_EVENTS,
    GOAL_LINKED_SAVINGS_CHANGED,
    GOAL_SAVINGS_ADDED,
    GOAL_UPDATED,
    STATUS_AFTER,
)
from shared.envelope import EventEnvelope
from shared.profiles import fold_profile
from shared.projections import Projection

COLUMNS = (
    "id uuid PRIMARY KEY, user_id uuid NOT NULL, title text NOT NULL, description text NOT NULL, "
    "category text NOT NULL, target_amount numeric(14,2) NOT NULL, "
    "saved_amount numeric(14,2) NOT NULL, monthly_contribution numeric(14,2), "
    "priority text NOT NULL, target_date date, status text NOT NULL, "
    "created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, completed_at timestamptz, "
    "deleted boolean NOT NULL DEFAULT false, version bigint NOT NULL"
)


def changes_of(event: EventEnvelope) -> dict[str, Any]:
    """The columns an event (other than Created) sets."""
    p = event.payload
    if event.type == GOAL_UPDATED:
        return {**{f: p[f] for f in FORM_FIELDS}, "updated_at": p["updated_at"]}
    if event.type == GOAL_SAVINGS_ADDED:
        return {"saved_amount": p["saved_amount"], "updated_at": p["added_at"]}
    if event.type == GOAL_LINKED_SAVINGS_CHANGED:
        return {"saved_amount": p["saved_amount"], "updated_at": p["changed_at"]}
    if event.type == GOAL_DELETED:
        return {"deleted": True, "updated_at": p["at"]}
    out = {"status": STATUS_AFTER[event.type], "updated_at": p["at"]}
    return out | ({"completed_at": p["at"]} if event.type == GOAL_COMPLETED else {})


class GoalsProjection(Projection):
    """The goals the app lists, filters and counts."""

    name = "ledger_goals"
    sources = ("ledger", "auth")
    handles = GOAL_EVENTS | {USER_REGISTERED, USER_PROFILE_UPDATED, USER_DELETED}

    async def setup(self, conn: AsyncConnection[DictRow]) -> None:
        """Create the goals table."""
        table = self.table("goals")
        await conn.execute(sql.SQL(f"CREATE TABLE IF NOT EXISTS {{}} ({COLUMNS})").format(table))
        await conn.execute(
            sql.SQL("CREATE INDEX IF NOT EXISTS ledger_goals_user ON {} (user_id)").format(table)
        )
        await conn.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (user_id uuid PRIMARY KEY, income numeric(14,2), "
                "version bigint NOT NULL)"
            ).format(self.table("goal_users"))
        )

    async def drop(self, conn: AsyncConnection[DictRow]) -> None:
        """Drop the tables."""
        for name in ("goals", "goal_users"):
            await conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(self.table(name)))

    async def apply(self, conn: AsyncConnection[DictRow], event: EventEnvelope) -> None:
        """Insert a created goal, or set what a later event changed (older versions lose)."""
        if event.service == "auth":
            await fold_profile(conn, self.table("goal_users"), event, ("income",))
            return
        p, table = event.payload, self.table("goals")
        if event.type == GOAL_CREATED:
            names = ("id", "user_id", *FORM_FIELDS, "status", "created_at", "updated_at",
                     "version")  # fmt: skip
            values = (event.aggregate_id, p["user_id"], *(p[f] for f in FORM_FIELDS), "active",
                      p["created_at"], p["created_at"], event.aggregate_version)  # fmt: skip
            await conn.execute(
                sql.SQL("INSERT INTO {} ({}) VALUES ({}) ON CONFLICT (id) DO NOTHING").format(
                    table,
                    sql.SQL(", ").join(map(sql.Identifier, names)),
                    sql.SQL(", ").join(sql.Placeholder() * len(names)),
                ),
                values,
            )
            return
        changes = changes_of(event)
        sets = [sql.SQL("{} = %s").format(sql.Identifier(k)) for k in (*changes, "version")]
        await conn.execute(
            sql.SQL("UPDATE {} SET {} WHERE id = %s AND version < %s").format(
                table, sql.SQL(", ").join(sets)
            ),
            (*changes.values(), event.aggregate_version, event.aggregate_id,
             event.aggregate_version),
        )  # fmt: skip
