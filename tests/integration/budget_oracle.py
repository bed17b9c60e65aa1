"""The one-by-one fold of ledger events, kept as a test oracle for ``budget_days``.

Production folds runs of ledger events in memory (``services.budget.read.spending``); this is the
plain path it replaced: each event reads its transaction and the user's zone and writes its
rows. The batching tests check the two agree on every kind of history.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from services.budget.read.placement import (
    AMENDED,
    DELETED,
    RECORDED,
    local_day,
    plan_category,
    zone,
)
from services.budget.read.projections import BudgetDaysProjection
from shared.envelope import EventEnvelope


class OneByOne(BudgetDaysProjection):
    """``budget_days`` with each ledger event applied on its own, the oracle way."""

    async def apply(self, conn: AsyncConnection[DictRow], event: EventEnvelope) -> None:
        """A ledger event by the oracle, any other as production applies it."""
        if event.type in (RECORDED, AMENDED, DELETED):
            await self._spending(conn, event)
        else:
            await self.apply_budget_or_zone(conn, event)

    async def _zone_at(
        self, conn: AsyncConnection[DictRow], user: uuid.UUID, at: dt.datetime
    ) -> dt.tzinfo:
        cur = await conn.execute(
            sql.SQL(
                "SELECT timezone FROM {} WHERE user_id = %s AND effective_from <= %s "
                "ORDER BY effective_from DESC LIMIT 1"
            ).format(self.table("budget_users")),
            (user, at),
        )
        row = await cur.fetchone()
        return zone(row["timezone"] if row else None)

    async def _spending(self, conn: AsyncConnection[DictRow], event: EventEnvelope) -> None:
        """Record, amend (old out, new in) or delete (out) a transaction's spending."""
        p = event.payload
        user = self._user(event)
        txs = self.table("budget_tx")
        cur = await conn.execute(
            sql.SQL("SELECT * FROM {} WHERE id = %s").format(txs), (event.aggregate_id,)
        )
        old = await cur.fetchone()
        if event.type != RECORDED and (old is None or old["deleted"]):
            return
        if old is not None and not old["deleted"]:
            await self._add(conn, user, old["day"], old["plan_category"], spent=-old["amount"])
        if event.type == DELETED:
            await conn.execute(
                sql.SQL("UPDATE {} SET deleted = true WHERE id = %s").format(txs),
                (event.aggregate_id,),
            )
            return
        base: dict[str, Any] = dict(old) if old is not None else {}
        amount = Decimal(str(p["amount"])) if p.get("amount") is not None else base["amount"]
        category = p.get("category") or base["category"]
        spent_at = p.get("spent_at") or base["spent_at"]
        tz = await self._zone_at(conn, user, event.occurred_at)
        day = local_day(spent_at, tz)
        rolled = plan_category(category)
        await self._add(conn, user, day, rolled, spent=amount)
        await conn.execute(
            sql.SQL(
                "INSERT INTO {} (id, user_id, day, category, plan_category, amount, spent_at, "
                "placed_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE "
                "SET day = EXCLUDED.day, category = EXCLUDED.category, "
                "plan_category = EXCLUDED.plan_category, amount = EXCLUDED.amount, "
                "spent_at = EXCLUDED.spent_at, placed_at = EXCLUDED.placed_at"
            ).format(txs),
            (event.aggregate_id, user, day, category, rolled, amount, spent_at, event.occurred_at),
        )
