"""Notification queries over ``notifications_inbox`` (read only; an unstarted projection reads
as empty)."""

from __future__ import annotations

import uuid
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from services.notifications.rules import DEFAULTS
from shared.db import read_rows


def _t(schema: str, name: str) -> sql.Identifier:
    return sql.Identifier(schema, name)


async def page(
    conn: AsyncConnection[DictRow], schema: str, user: uuid.UUID, *, limit: int, offset: int,
    unread_only: bool, kind: str | None, priority: str | None, category: str | None,
) -> tuple[list[dict[str, Any]], int, int]:  # fmt: skip
    """A page of the user's live notifications (newest first), how many match, how many are
    unread in all."""
    where: list[sql.Composable] = [sql.SQL("user_id = %s AND NOT deleted")]
    params: list[Any] = [user]
    if unread_only:
        where.append(sql.SQL("NOT is_read"))
    for column, value in (("kind", kind), ("priority", priority), ("category", category)):
        if value is not None:
            where.append(sql.SQL("{} = %s").format(sql.Identifier(column)))
            params.append(value)
    matching = sql.SQL(" AND ").join(where)
    table = _t(schema, "notifications")
    rows = await read_rows(
        conn,
        sql.SQL(
            "SELECT *, count(*) OVER () AS matching, (SELECT count(*) FROM {t} u "
            "WHERE u.user_id = %s AND NOT u.deleted AND NOT u.is_read) AS unread "
            "FROM {t} WHERE {w} ORDER BY created_at DESC, id LIMIT %s OFFSET %s"
        ).format(t=table, w=matching),
        (user, *params, limit, offset),
    )
    if rows:
        return rows, int(rows[0]["matching"]), int(rows[0]["unread"])
    return [], await _count(conn, schema, user, matching, params), await unread(conn, schema, user)


async def _count(conn: AsyncConnection[DictRow], schema: str, user: uuid.UUID,
                 where: sql.Composable, params: list[Any]) -> int:  # fmt: skip
    rows = await read_rows(
        conn,
        sql.SQL("SELECT count(*) AS n FROM {} WHERE {}").format(_t(schema, "notifications"), where),
        tuple(params),
    )
    return int(rows[0]["n"]) if rows else 0


async def unread(conn: AsyncConnection[DictRow], schema: str, user: uuid.UUID) -> int:
    """How many of the user's live notifications are unread."""
    rows = await read_rows(
        conn,
        sql.SQL(
            "SELECT count(*) AS n FROM {} WHERE user_id = %s AND NOT deleted AND NOT is_read"
        ).format(_t(schema, "notifications")),
        (user,),
    )
    return int(rows[0]["n"]) if rows else 0


async def one(
    conn: AsyncConnection[DictRow], schema: str, user: uuid.UUID, notification: uuid.UUID
) -> dict[str, Any] | None:
    """One live notification of the user."""
    rows = await read_rows(
        conn,
        sql.SQL("SELECT * FROM {} WHERE id = %s AND user_id = %s AND NOT deleted").format(
            _t(schema, "notifications")
        ),
        (notification, user),
    )
    return rows[0] if rows else None


async def unread_ids(
    conn: AsyncConnection[DictRow], schema: str, user: uuid.UUID
) -> list[uuid.UUID]:
    """The user's unread notifications."""
    rows = await read_rows(
        conn,
        sql.SQL("SELECT id FROM {} WHERE user_id = %s AND NOT deleted AND NOT is_read").format(
            _t(schema, "notifications")
        ),
        (user,),
    )
    return [r["id"] for r in rows]


async def preferences(
    conn: AsyncConnection[DictRow], schema: str, user: uuid.UUID
) -> dict[str, Any]:
    """The user's preferences (defaults where never set)."""
    rows = await read_rows(
        conn,
        sql.SQL("SELECT choices FROM {} WHERE user_id = %s").format(_t(schema, "preferences")),
        (user,),
    )
    return {**DEFAULTS, **(rows[0]["choices"] if rows else {})}


async def devices(conn: AsyncConnection[DictRow], schema: str, user: uuid.UUID) -> list[str]:
    """The user's push tokens, oldest first."""
    rows = await read_rows(
        conn,
        sql.SQL("SELECT push_token FROM {} WHERE user_id = %s ORDER BY registered_at, push_token")
        .format(_t(schema, "devices")),
        (user,),
    )  # fmt: skip
    return [r["push_token"] for r in rows]


async def timezone(conn: AsyncConnection[DictRow], schema: str, user: uuid.UUID) -> str:
    """The user's timezone name (UTC when unknown)."""
    rows = await read_rows(
        conn,
        sql.SQL("SELECT timezone FROM {} WHERE user_id = %s").format(
            _t(schema, "notification_users")
        ),
        (user,),
    )
    return str(rows[0]["timezone"] or "UTC") if rows else "UTC"
