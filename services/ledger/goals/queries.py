"""Goal queries: the ``ledger_goals`` read model and the caller's spending by local month from
``ledger_transactions`` (read models only; an unstarted projection reads as empty)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from services.ledger.queries import _rows

GOAL_COLUMNS = (
    "id", "user_id", "title", "description", "category", "target_amount", "saved_amount",
    "monthly_contribution", "priority", "target_date", "status", "created_at", "updated_at",
    "completed_at",
)  # fmt: skip


def _goals(schema: str) -> sql.Composed:
    return sql.SQL("SELECT {} FROM {}.goals").format(
        sql.SQL(", ").join(map(sql.Identifier, GOAL_COLUMNS)), sql.Identifier(schema)
    )


async def list_goals(
    conn: AsyncConnection[DictRow],
    schema: str,
    user_id: uuid.UUID,
    status: str | None = None,
    category: str | None = None,
) -> list[dict[str, Any]]:
    """The caller's live goals, newest first, optionally of one status and category."""
    where = [sql.SQL("user_id = %s AND NOT deleted")]
    params: list[Any] = [user_id]
    if status is not None:
        where.append(sql.SQL("status = %s"))
        params.append(status)
    if category is not None:
        where.append(sql.SQL("lower(category) = lower(%s)"))
        params.append(category)
    query = sql.SQL("{} WHERE {} ORDER BY created_at DESC, id").format(
        _goals(schema), sql.SQL(" AND ").join(where)
    )
    return await _rows(conn, query, params)


async def goal_row(
    conn: AsyncConnection[DictRow], schema: str, user_id: uuid.UUID, goal_id: uuid.UUID
) -> dict[str, Any] | None:
    """One of the caller's live goals (another user's or a deleted one: None)."""
    rows = await _rows(
        conn,
        sql.SQL("{} WHERE id = %s AND user_id = %s AND NOT deleted").format(_goals(schema)),
        (goal_id, user_id),
    )
    return rows[0] if rows else None


async def income_of(
    conn: AsyncConnection[DictRow], schema: str, user_id: uuid.UUID
) -> Decimal | None:
    """The caller's monthly income as auth last said (None: unknown)."""
    rows = await _rows(
        conn,
        sql.SQL("SELECT income FROM {}.goal_users WHERE user_id = %s").format(
            sql.Identifier(schema)
        ),
        (user_id,),
    )
    return rows[0]["income"] if rows else None


async def spending_by_month(
    conn: AsyncConnection[DictRow],
    schema: str,
    user_id: uuid.UUID,
    zone: str,
    start: dt.datetime,
    end: dt.datetime,
) -> dict[tuple[str, str], Decimal]:
    """Live spending per (local month ``YYYY-MM``, category) in [start, end)."""
    rows = await _rows(
        conn,
        sql.SQL(
            "SELECT to_char(t, 'YYYY-MM') AS month, category, total FROM ("
            "SELECT date_trunc('month', spent_at AT TIME ZONE %s) AS t, category, "
            "sum(amount) AS total FROM {}.transactions WHERE user_id = %s AND NOT deleted "
            "AND spent_at >= %s AND spent_at < %s GROUP BY 1, 2) g"
        ).format(sql.Identifier(schema)),
        (zone, user_id, start, end),
    )
    return {(r["month"], r["category"]): r["total"] for r in rows}
