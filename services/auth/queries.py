"""Auth queries: read models only."""

from __future__ import annotations

import uuid
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from services.auth.projections import PROFILE_COLUMNS
from shared import db

PROFILE_KEYS = tuple(PROFILE_COLUMNS)


async def get_user(
    conn: AsyncConnection[DictRow], schema: str, user_id: uuid.UUID
) -> dict[str, Any] | None:
    """A live user's row, or None."""
    cur = await conn.execute(
        sql.SQL("SELECT * FROM {}.users WHERE id = %s AND NOT deleted").format(
            sql.Identifier(schema)
        ),
        (user_id,),
    )
    row = await cur.fetchone()
    await conn.commit()
    return dict(row) if row else None


async def list_users(
    conn: AsyncConnection[DictRow], schema: str, *, limit: int, offset: int, search: str = ""
) -> tuple[list[dict[str, Any]], int]:
    """A page of live users, newest first, and the total count (``search``: a piece of the
    email or name, any case)."""
    where = sql.SQL("NOT deleted")
    params: list[Any] = []
    if search:
        where = sql.SQL("NOT deleted AND (email ILIKE %s OR name ILIKE %s)")
        pattern = f"%{db.like_escaped(search)}%"
        params = [pattern, pattern]
    cur = await conn.execute(
        sql.SQL(
            "SELECT id, email, name, country, created_at, last_login, is_admin, is_premium, "
            "locked FROM {}.users WHERE {} ORDER BY created_at DESC, id LIMIT %s OFFSET %s"
        ).format(sql.Identifier(schema), where),
        (*params, limit, offset),
    )
    rows = [dict(r) for r in await cur.fetchall()]
    cur = await conn.execute(
        sql.SQL("SELECT count(*) AS n FROM {}.users WHERE {}").format(
            sql.Identifier(schema), where
        ),
        params,
    )
    total = await cur.fetchone()
    await conn.commit()
    return rows, int(total["n"]) if total else 0


def profile_completion(row: dict[str, Any]) -> int:
    """Share (0..100) of the profile fields the user has filled."""
    filled = sum(1 for k in PROFILE_KEYS if row.get(k) not in (None, ""))
    return round(100 * filled / len(PROFILE_KEYS))


def user_public(row: dict[str, Any]) -> dict[str, Any]:
    """The ``GET /users/me`` shape the app reads."""
    prefs = row.get("preferences") or {}
    return {
        "id": str(row["id"]),
        "email": row["email"],
        "name": row.get("name"),
        "country": row.get("country"),
        "timezone": row.get("timezone"),
        "created_at": row["created_at"],
        "income": row.get("income"),
        "savings_goal": row.get("savings_goal"),
        "budget_method": row.get("budget_method"),
        "currency": row.get("currency"),
        "region": row.get("region"),
        "notifications_enabled": row.get("notifications_enabled"),
        "dark_mode_enabled": row.get("dark_mode_enabled"),
        "has_onboarded": bool(row.get("has_onboarded")),
        "email_verified": bool(row.get("email_verified")),
        "is_premium": bool(row.get("is_premium")),
        "member_since": row["created_at"],
        "profile_completion": profile_completion(row),
        "preferences": prefs,
    }
