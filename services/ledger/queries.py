"""Ledger queries: read models only (an unstarted projection reads as empty)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from psycopg import AsyncConnection, errors, sql
from psycopg.rows import DictRow

from contracts.ledger import FIELD_TYPES, TRANSACTION_FIELDS, TransactionOut
from services.ledger.domain import default_of
from services.ledger.projections import COLUMNS
from shared import db

# The transaction object the app reads (mobile-api.md, "Transactions"), as the contract shapes it.
PUBLIC_FIELDS = tuple(TransactionOut.model_fields)
IDS = ("id", "user_id", *(n for n in TRANSACTION_FIELDS if FIELD_TYPES[n] is uuid.UUID))


async def _rows(
    conn: AsyncConnection[DictRow], query: sql.Composed, params: Sequence[Any]
) -> list[dict[str, Any]]:
    try:
        cur = await conn.execute(query, params)
    except errors.UndefinedTable:  # the projection has not created its tables yet
        await conn.rollback()
        return []
    rows = [dict(r) for r in await cur.fetchall()]
    await conn.commit()
    return rows


def _select(schema: str) -> sql.Composed:
    return sql.SQL("SELECT {} FROM {}.transactions").format(
        sql.SQL(", ").join(map(sql.Identifier, COLUMNS)), sql.Identifier(schema)
    )


async def get_transaction(
    conn: AsyncConnection[DictRow], schema: str, user_id: uuid.UUID, transaction_id: uuid.UUID
) -> dict[str, Any] | None:
    """The caller's live transaction row, or None (another user's and deleted ones too)."""
    rows = await _rows(
        conn,
        sql.SQL("{} WHERE id = %s AND user_id = %s AND NOT deleted").format(_select(schema)),
        (transaction_id, user_id),
    )
    return rows[0] if rows else None


async def transaction_row(
    conn: AsyncConnection[DictRow], schema: str, transaction_id: uuid.UUID
) -> dict[str, Any] | None:
    """A transaction's row whatever its state (for answers right after a write)."""
    rows = await _rows(conn, sql.SQL("{} WHERE id = %s").format(_select(schema)), (transaction_id,))
    return rows[0] if rows else None


async def list_transactions(
    conn: AsyncConnection[DictRow],
    schema: str,
    user_id: uuid.UUID,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    category: str | None = None,
    skip: int = 0,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """The caller's live transactions, newest ``spent_at`` first; ``end`` is exclusive."""
    where: list[sql.Composable] = [sql.SQL("user_id = %s AND NOT deleted")]
    params: list[Any] = [user_id]
    if start is not None:
        where.append(sql.SQL("spent_at >= %s"))
        params.append(start)
    if end is not None:
        where.append(sql.SQL("spent_at < %s"))
        params.append(end)
    if category is not None:
        where.append(sql.SQL("category = %s"))
        params.append(category)
    return await _rows(
        conn,
        sql.SQL("{} WHERE {} ORDER BY spent_at DESC, id DESC OFFSET %s LIMIT %s").format(
            _select(schema), sql.SQL(" AND ").join(where)
        ),
        [*params, skip, limit],
    )


def like_prefix(text: str) -> str:
    """A LIKE pattern matching ``text`` literally at the start (wildcards escaped)."""
    return f"{db.like_escaped(text)}%"


async def merchant_suggestions(
    conn: AsyncConnection[DictRow], schema: str, user_id: uuid.UUID, q: str, limit: int
) -> list[str]:
    """The caller's merchants starting with ``q`` (any case), most used first."""
    # Spellings differing only in case count as one merchant, named as most recently used.
    rows = await _rows(
        conn,
        sql.SQL(
            "SELECT (array_agg(merchant ORDER BY spent_at DESC))[1] AS name, count(*) AS uses, "
            "max(spent_at) AS last FROM {}.transactions WHERE user_id = %s AND NOT deleted "
            "AND merchant <> '' AND lower(merchant) LIKE lower(%s) "
            "GROUP BY lower(merchant) ORDER BY uses DESC, last DESC, name LIMIT %s"
        ).format(sql.Identifier(schema)),
        (user_id, like_prefix(q.strip()), limit),
    )
    return [str(r["name"]) for r in rows]


async def user_defaults(
    conn: AsyncConnection[DictRow], schema: str, user_id: uuid.UUID
) -> tuple[str | None, str | None]:
    """The user's currency and timezone as the ledger last heard from auth (None: unknown)."""
    rows = await _rows(
        conn,
        sql.SQL("SELECT currency, timezone FROM {}.users WHERE user_id = %s").format(
            sql.Identifier(schema)
        ),
        (user_id,),
    )
    if not rows:
        return None, None
    return rows[0]["currency"], rows[0]["timezone"]


def transaction_public(row: dict[str, Any]) -> dict[str, Any]:
    """The transaction object the app reads (OCR fields stay null until OCR records them)."""
    out = {name: row.get(name) for name in PUBLIC_FIELDS}
    for name in TRANSACTION_FIELDS:
        if out[name] is None:
            out[name] = default_of(name)
    for name in IDS:
        out[name] = str(out[name]) if out[name] is not None else None
    return out
