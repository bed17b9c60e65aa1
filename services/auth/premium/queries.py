"""Premium queries over ``auth_premium`` (read only; an unstarted projection reads as none)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from shared.db import read_rows


async def subscriptions(
    conn: AsyncConnection[DictRow], schema: str, user_id: uuid.UUID
) -> list[dict[str, Any]]:
    """The user's subscriptions, newest purchase first."""
    return await read_rows(
        conn,
        sql.SQL("SELECT * FROM {} WHERE user_id = %s ORDER BY purchased_at DESC, id").format(
            sql.Identifier(schema, "subscriptions")
        ),
        (user_id,),
    )


def entitled(row: dict[str, Any], now: dt.datetime) -> bool:
    """Whether a subscription gives premium at ``now``: active and not past its expiry."""
    return bool(row["status"] == "active" and row["expires_at"] > now)


def current(rows: list[dict[str, Any]], now: dt.datetime) -> dict[str, Any] | None:
    """The subscription that gives premium now (the one lasting longest), else the latest."""
    live = [r for r in rows if entitled(r, now)]
    if live:
        return max(live, key=lambda r: r["expires_at"])
    return rows[0] if rows else None


async def referral_code(
    conn: AsyncConnection[DictRow], schema: str, user_id: uuid.UUID
) -> str | None:
    """The user's referral code, once issued."""
    rows = await read_rows(
        conn,
        sql.SQL("SELECT code FROM {} WHERE user_id = %s").format(
            sql.Identifier(schema, "referral_codes")
        ),
        (user_id,),
    )
    return str(rows[0]["code"]) if rows else None


async def is_premium(
    conn: AsyncConnection[DictRow], schema: str, user_id: uuid.UUID, now: dt.datetime
) -> bool:
    """Whether a verified subscription gives the user premium at ``now``."""
    found = current(await subscriptions(conn, schema, user_id), now)
    return found is not None and entitled(found, now)
