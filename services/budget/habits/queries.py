"""Habit queries over the ``budget_habits`` read model (read models only; an unstarted
projection reads as empty)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from psycopg import AsyncConnection, errors, sql
from psycopg.rows import DictRow

COLUMNS = "h.id, h.title, h.description, h.target_frequency, h.created_day, h.created_at"


async def habits_of(
    conn: AsyncConnection[DictRow],
    schema: str,
    user_id: uuid.UUID,
    habit_id: uuid.UUID | None = None,
) -> list[dict[str, Any]]:
    """The caller's live habits (oldest first) with their done days, or the one named."""
    one = sql.SQL(" AND h.id = %s") if habit_id is not None else sql.SQL("")
    query = sql.SQL(
        "SELECT " + COLUMNS + ", coalesce(array_agg(d.day ORDER BY d.day) "
        "FILTER (WHERE d.day IS NOT NULL), '{{}}') AS days FROM {h} h "
        "LEFT JOIN {d} d ON d.habit_id = h.id WHERE h.user_id = %s AND NOT h.deleted{one} "
        "GROUP BY h.id ORDER BY h.created_at, h.id"
    ).format(h=sql.Identifier(schema, "habits"), d=sql.Identifier(schema, "habit_days"), one=one)
    try:
        cur = await conn.execute(query, (user_id, *([habit_id] if habit_id else [])))
    except errors.UndefinedTable:
        await conn.rollback()
        return []
    rows = [dict(r) for r in await cur.fetchall()]
    await conn.commit()
    for row in rows:
        row["days"] = [d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d))
                       for d in row["days"]]  # fmt: skip
    return rows
