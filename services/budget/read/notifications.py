"""User notifications the budget raises: one per real-time redistribution.

A read model of the budget's own events (so a rebuild reproduces it exactly): every
``BudgetRedistributed`` becomes "Budget adjusted: Food +10.00, Entertainment \u221210.00" for its
user, in the shape the app's notification list reads. Delivery (push) and read state belong to
the notifications context, which consumes these rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

from services.budget.read.placement import REDISTRIBUTED
from shared import jsonutil
from shared.envelope import EventEnvelope
from shared.projections import Projection

TITLE = "Budget adjusted"
KIND = "budget_redistribution"
MINUS = "\u2212"  # a real minus sign, as the app shows money


def label(category: str) -> str:
    """A plan category as people read it ("personal_care" → "Personal care")."""
    return category.replace("_", " ").capitalize()


def adjustment_message(moves: Iterable[Mapping[str, Any]]) -> str:
    """The notification text: receivers first (+), then donors (a real minus sign)."""
    change: dict[str, Decimal] = {}
    for move in moves:
        amount = Decimal(str(move["amount"]))
        change[move["to_category"]] = change.get(move["to_category"], Decimal(0)) + amount
        change[move["from_category"]] = change.get(move["from_category"], Decimal(0)) - amount
    ordered = sorted(
        (c for c, v in change.items() if v), key=lambda c: (change[c] < 0, list(change).index(c))
    )
    parts = [f"{label(c)} {'+' if change[c] > 0 else MINUS}{abs(change[c]):.2f}" for c in ordered]
    return f"{TITLE}: {', '.join(parts)}"


class NotificationsProjection(Projection):
    """Rows (id, user, title, message, type, priority, category, data, created_at)."""

    name = "budget_notifications"
    sources = ("budget",)
    handles = frozenset({REDISTRIBUTED})

    async def setup(self, conn: AsyncConnection[DictRow]) -> None:
        """Create the notifications table."""
        await conn.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (id uuid PRIMARY KEY, user_id uuid NOT NULL, "
                "title text NOT NULL, message text NOT NULL, type text NOT NULL, "
                "priority text NOT NULL, category text, data jsonb NOT NULL, "
                "created_at timestamptz NOT NULL)"
            ).format(self.table(self.name))
        )
        await conn.execute(
            sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (user_id, created_at DESC)").format(
                sql.Identifier(f"{self.name}_user_time"), self.table(self.name)
            )
        )

    async def drop(self, conn: AsyncConnection[DictRow]) -> None:
        """Drop the notifications table."""
        await conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(self.table(self.name)))

    async def apply(self, conn: AsyncConnection[DictRow], event: EventEnvelope) -> None:
        """One notification per cover the user asked to hear of (the event id is its id)."""
        p = event.payload
        if p.get("notify") is False:  # realtime_alerts was off when the cover was decided
            return
        moves = list(p["moves"])
        data = {
            "trigger_transaction_id": str(p["trigger_transaction_id"]),
            "covered": Decimal(str(p["covered"])),
            "fully_covered": bool(p["fully_covered"]),
            "moves": moves,
        }
        await conn.execute(
            sql.SQL(
                "INSERT INTO {} (id, user_id, title, message, type, priority, category, data, "
                "created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (id) DO NOTHING"
            ).format(self.table(self.name)),
            (
                event.event_id,
                uuid.UUID(str(p["user_id"])),
                TITLE,
                adjustment_message(moves),
                KIND,
                "medium",
                moves[0]["to_category"] if moves else None,
                Jsonb(data, dumps=jsonutil.dumps),
                p.get("at") or event.occurred_at,
            ),
        )
