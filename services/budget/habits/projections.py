"""``budget_habits``: the habits as the app lists them (deleted ones flagged; a row's version
only moves forward) and the local days each was done on, rebuilt from the habit events."""

from __future__ import annotations

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from contracts.habits import (
    HABIT_CREATED,
    HABIT_DAY_COMPLETED,
    HABIT_DAY_UNCOMPLETED,
    HABIT_DELETED,
    HABIT_EVENTS,
)
from shared.envelope import EventEnvelope
from shared.projections import TablesProjection

TABLES = {
    "habits": (
        "id uuid PRIMARY KEY, user_id uuid NOT NULL, title text NOT NULL, "
        "description text NOT NULL, target_frequency text NOT NULL, created_day date NOT NULL, "
        "created_at timestamptz NOT NULL, deleted boolean NOT NULL DEFAULT false, "
        "version bigint NOT NULL"
    ),
    "habit_days": "habit_id uuid NOT NULL, day date NOT NULL, PRIMARY KEY (habit_id, day)",
}


class HabitsProjection(TablesProjection):
    """Habits and their done days."""

    name = "budget_habits"
    sources = ("budget",)
    handles = HABIT_EVENTS

    tables = TABLES
    indexes = {"budget_habits_user": ("habits", "user_id")}

    async def apply(self, conn: AsyncConnection[DictRow], event: EventEnvelope) -> None:
        """Fold one habit event."""
        p, habits, days = event.payload, self.table("habits"), self.table("habit_days")
        if event.type == HABIT_CREATED:
            await conn.execute(
                sql.SQL(
                    "INSERT INTO {} (id, user_id, title, description, target_frequency, "
                    "created_day, created_at, version) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT (id) DO NOTHING"
                ).format(habits),
                (event.aggregate_id, p["user_id"], p["title"], p["description"],
                 p["target_frequency"], p["created_day"], p["created_at"],
                 event.aggregate_version),
            )  # fmt: skip
            return
        if event.type == HABIT_DAY_COMPLETED:
            await conn.execute(
                sql.SQL("INSERT INTO {} (habit_id, day) VALUES (%s, %s) ON CONFLICT DO NOTHING")
                .format(days), (event.aggregate_id, p["day"]),
            )  # fmt: skip
        elif event.type == HABIT_DAY_UNCOMPLETED:
            await conn.execute(
                sql.SQL("DELETE FROM {} WHERE habit_id = %s AND day = %s").format(days),
                (event.aggregate_id, p["day"]),
            )
        elif event.type == HABIT_DELETED:
            await conn.execute(
                sql.SQL("UPDATE {} SET deleted = true WHERE id = %s").format(habits),
                (event.aggregate_id,),
            )
        else:  # updated
            await conn.execute(
                sql.SQL(
                    "UPDATE {} SET title = %s, description = %s, target_frequency = %s, "
                    "version = %s WHERE id = %s AND version < %s"
                ).format(habits),
                (p["title"], p["description"], p["target_frequency"], event.aggregate_version,
                 event.aggregate_id, event.aggregate_version),
            )  # fmt: skip
