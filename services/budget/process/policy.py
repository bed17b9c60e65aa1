"""Real-time redistribution as a policy: ledger events in, ``BudgetRedistributed`` out.

A process manager (``shared.policy.Policy``): it consumes ``mita.ledger.events`` (its tracking
rows make redelivery a no-op) and decides on the budget write model. Exactly once per triggering
event comes from the ``BudgetPlan`` aggregate itself: it refuses a second cover for an event
(transaction, version) it already covered, and that fact is stored with the new event, in the same
transaction as the event.

It is also where month rollover happens on a write: the first ledger event of an onboarded
user in a new (user-local) month plans that month from the latest answers, as a read does.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from decimal import Decimal
from typing import Any, ClassVar

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from services.budget.engine.forecast import ForecastStatus
from services.budget.process.base import BudgetPolicy
from services.budget.read.placement import AMENDED, DELETED, RECORDED, zone
from services.budget.read.projections import BudgetDaysProjection
from services.budget.read.queries import user_timezone
from services.budget.read.views import month_forecast_of, month_view
from shared.envelope import EventEnvelope
from shared.projections import wait_for_position

DAYS = BudgetDaysProjection.name


class PolicyLagging(Exception):
    """The budget read model has not reached the triggering event yet (retried)."""


class RedistributionPolicy(BudgetPolicy):
    """After a transaction overspends its day-category, move money from future days."""

    name = "budget_redistribution"
    sources = ("ledger",)
    handles = frozenset({RECORDED, AMENDED, DELETED})
    catch_up_seconds: ClassVar[float] = 5.0

    async def decide(self, reader: AsyncConnection[DictRow], event: EventEnvelope) -> None:
        """Decide on one ledger event: roll the month over, then cover an overspend."""
        await self._caught_up(reader, event.position)
        user = uuid.UUID(str(event.payload["user_id"]))
        tz = zone(await user_timezone(reader, self.schema, user))
        today = dt.datetime.now(dt.UTC).astimezone(tz).date()
        # Rollover on write. The cover below decides on the plan's own amounts (the write
        # model), so it need not wait for the day plans to hold a plan made just now.
        await asyncio.to_thread(self.application.ensure_month, user, today.year, today.month)
        placed = await self._placement(reader, event) if self._spends(event) else None
        if placed is not None and placed[2] > placed[3]:
            day, category, spent, _ = placed
            await asyncio.to_thread(
                self.application.cover_overspend,
                user,
                event.aggregate_id,
                day=day,
                category=category,
                spent=spent,
                today=today,
                version=event.aggregate_version,
            )
        if placed is not None:
            await self._watch_day(reader, user, placed[0])
        if event.type in (RECORDED, AMENDED):
            await self._watch_forecast(reader, user, today)

    async def _watch_day(self, reader: AsyncConnection[DictRow], user: uuid.UUID,
                         day: dt.date) -> None:  # fmt: skip
        """Say once when the transaction's day is red after any cover (its whole spending
        against its plan as the write model now holds it)."""
        cur = await reader.execute(
            sql.SQL("SELECT coalesce(sum(spent), 0) AS spent FROM {} WHERE user_id = %s "
                    "AND day = %s").format(self.table("budget_days")), (user, day),
        )  # fmt: skip
        row = await cur.fetchone()
        await reader.commit()
        spent: Decimal = row["spent"] if row else Decimal(0)
        await asyncio.to_thread(self.application.flag_red_day, user, day, spent)

    async def _watch_forecast(
        self, reader: AsyncConnection[DictRow], user: uuid.UUID, today: dt.date
    ) -> None:
        """Say once a month when this month's pace leads 10 % or more past its plan."""
        days = await month_view(reader, self.schema, user, today.year, today.month)
        outlook = month_forecast_of(days, today)
        if outlook.status is ForecastStatus.DANGER:
            await asyncio.to_thread(
                self.application.flag_forecast_danger, user, today.year, today.month,
                planned=outlook.planned, projected_spend=outlook.projected_spend,
            )  # fmt: skip

    @staticmethod
    def _spends(event: EventEnvelope) -> bool:
        """Whether the event can make a day-category overspent (a record, or an amendment of
        amount, category or time; a note or a tag cannot)."""
        if event.type == RECORDED:
            return True
        return event.type == AMENDED and any(
            event.payload.get(field) is not None for field in ("amount", "category", "spent_at")
        )

    async def _caught_up(self, reader: AsyncConnection[DictRow], position: int) -> None:
        """Wait (bounded) for the day plans to hold ledger@position; else retry later."""
        wait = self.catch_up_seconds
        if not await wait_for_position(reader, self.schema, DAYS, "ledger", position, wait):
            raise PolicyLagging(f"{DAYS} has not applied ledger@{position}")

    async def _placement(
        self, conn: AsyncConnection[DictRow], event: EventEnvelope
    ) -> tuple[dt.date, str, Any, Any] | None:
        """Where the transaction counts now and that day-category's spent and planned."""
        cur = await conn.execute(
            sql.SQL(
                "SELECT t.user_id, t.day, t.plan_category, d.spent, d.planned FROM {} t "
                "JOIN {} d ON d.user_id = t.user_id AND d.day = t.day "
                "AND d.category = t.plan_category WHERE t.id = %s AND NOT t.deleted"
            ).format(self.table("budget_tx"), self.table("budget_days")),
            (event.aggregate_id,),
        )
        row = await cur.fetchone()
        await conn.commit()
        if row is None:
            return None
        return row["day"], row["plan_category"], row["spent"], row["planned"]
