"""Time travel: a user's transactions as they stood at an instant, folded from the log."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import DictRow

from services.ledger.projections import TransactionsProjection
from services.ledger.queries import list_transactions, transaction_public
from shared.replay import TEMP_SCHEMA, fold_as_of
from shared.settings import MitaSettings

#: The most transactions an as-of answer lists (the totals count them all).
LISTED = 500


async def ledger_as_of(
    conn: AsyncConnection[DictRow], settings: MitaSettings, user: uuid.UUID, as_of: dt.datetime
) -> dict[str, Any]:
    """Fold the user's ledger events up to ``as_of`` into temporary tables of ``conn`` (a
    connection of its own) and read them as the app would have then."""
    folded = await fold_as_of(conn, settings, [TransactionsProjection(TEMP_SCHEMA)], user, as_of)
    rows = await list_transactions(conn, TEMP_SCHEMA, user, limit=1_000_000)
    by_category: dict[str, Decimal] = {}
    for row in rows:
        by_category[row["category"]] = by_category.get(row["category"], Decimal(0)) + row["amount"]
    return {
        "as_of": as_of,
        "events": folded,
        "transaction_count": len(rows),
        "total_spent": sum((r["amount"] for r in rows), Decimal(0)),
        "spent_by_category": dict(sorted(by_category.items())),
        "transactions": [transaction_public(r) for r in rows[:LISTED]],
    }
