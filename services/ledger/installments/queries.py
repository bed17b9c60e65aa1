"""Installment queries over the ``ledger_installments`` read model (read models only; an
unstarted projection reads as empty)."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from services.ledger.goals.queries import income_of
from services.ledger.installments.projections import PLAN_COLUMNS
from services.ledger.queries import _rows

COLUMNS = ("id", "user_id", *PLAN_COLUMNS, "created_at", "updated_at", "version")


def _select(schema: str) -> sql.Composed:
    return sql.SQL("SELECT {} FROM {}.installments").format(
        sql.SQL(", ").join(map(sql.Identifier, COLUMNS)), sql.Identifier(schema)
    )


async def list_installments(
    conn: AsyncConnection[DictRow], schema: str, user_id: uuid.UUID
) -> list[dict[str, Any]]:
    """The caller's live installments."""
    query = sql.SQL("{} WHERE user_id = %s AND NOT deleted ORDER BY created_at, id").format(
        _select(schema)
    )
    return await _rows(conn, query, (user_id,))


async def installment_row(
    conn: AsyncConnection[DictRow], schema: str, user_id: uuid.UUID, installment_id: uuid.UUID
) -> dict[str, Any] | None:
    """One of the caller's live installments (another user's or a deleted one: None)."""
    query = sql.SQL("{} WHERE id = %s AND user_id = %s AND NOT deleted").format(_select(schema))
    rows = await _rows(conn, query, (installment_id, user_id))
    return rows[0] if rows else None


async def profile_row(
    conn: AsyncConnection[DictRow], schema: str, user_id: uuid.UUID
) -> dict[str, Any] | None:
    """The caller's saved installment profile (fields as stored), if any."""
    query = sql.SQL(
        "SELECT id, user_id, fields, updated_at FROM {}.installment_profiles WHERE user_id = %s"
    ).format(sql.Identifier(schema))
    rows = await _rows(conn, query, (user_id,))
    if not rows:
        return None
    row = rows[0]
    fields = row["fields"] if isinstance(row["fields"], dict) else json.loads(row["fields"])
    return {**row, "fields": fields}


async def calculations(
    conn: AsyncConnection[DictRow], schema: str, user_id: uuid.UUID
) -> list[dict[str, Any]]:
    """The calculations the caller ran, oldest first."""
    query = sql.SQL(
        "SELECT category, purchase_amount, risk_level, total_interest, performed_at "
        "FROM {}.installment_calculations WHERE user_id = %s ORDER BY performed_at"
    ).format(sql.Identifier(schema))
    return await _rows(conn, query, (user_id,))


async def income_for(
    conn: AsyncConnection[DictRow], schema: str, user_id: uuid.UUID
) -> Decimal | None:
    """The monthly income the load is measured against: the installment profile's, else the
    one the user gave their account (None: unknown)."""
    profile = await profile_row(conn, schema, user_id)
    given = profile["fields"].get("monthly_income") if profile else None
    if given is not None:
        return Decimal(str(given))
    return await income_of(conn, schema, user_id)
