"""Budget read model: planned and spent per user-local day and plan category.

Fed by budget events (plans and their moves), ledger events (spending) and auth events (the
profile timezone). A transaction lands on the user-local day of its ``spent_at`` in the zone
the user had at the event's time: the zone history comes from the profile (registration and
``PATCH /users/me``) and from onboarding answers that name one; UTC before any. A zone change
applies to what is written from then on. A zone that arrives after
transactions it governs re-places them, so the rows do not depend on how the two sources
interleave: a rebuild replaying them one after the other equals the live feed.
"""

from __future__ import annotations

import calendar
import datetime as dt
import uuid
from decimal import Decimal

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from contracts.budget import GOAL_RESERVE_CHANGED, INSTALLMENT_FOLLOWED
from services.budget.read import history
from services.budget.read.placement import (
    ADAPTED,
    AMENDED,
    AUTOMATION_CHANGED,
    DELETED,
    MODE_CHANGED,
    PLANNED,
    PROFILE_UPDATED,
    REBALANCED,
    RECORDED,
    REDISTRIBUTED,
    REGISTERED,
    SUBMITTED,
    zone_change,
)
from services.budget.read.spending import (
    SpendingFold,
    Tx,
    Zones,
    add_spent,
    drop_empty,
    replaced,
    write_fold,
)
from shared.envelope import EventEnvelope
from shared.projections import Projection

MOVE_REASONS = {REDISTRIBUTED: "overspend", REBALANCED: "rebalance", ADAPTED: "auto_adapt"}
TABLES = ("budget_days", "budget_users", "budget_tx", "budget_moves", "budget_covers")


class BudgetDaysProjection(Projection):
    """Rows (user, day, category, planned, spent), the zone history, transactions and moves."""

    name = "budget_days"
    sources = ("budget", "ledger", "auth")
    handles = frozenset(
        {
            PLANNED,
            REDISTRIBUTED,
            REBALANCED,
            SUBMITTED,
            RECORDED,
            AMENDED,
            DELETED,
            REGISTERED,
            PROFILE_UPDATED,
            ADAPTED,
            MODE_CHANGED,
            AUTOMATION_CHANGED,
            GOAL_RESERVE_CHANGED,
            INSTALLMENT_FOLLOWED,
        }
    )

    async def setup(self, conn: AsyncConnection[DictRow]) -> None:
        """Create the read model tables."""
        statements = (
            "CREATE TABLE IF NOT EXISTS {} (user_id uuid NOT NULL, day date NOT NULL, "
            "category text NOT NULL, planned numeric(14,2) NOT NULL DEFAULT 0, "
            "spent numeric(14,2) NOT NULL DEFAULT 0, PRIMARY KEY (user_id, day, category))",
            "CREATE TABLE IF NOT EXISTS {} (user_id uuid NOT NULL, "
            "effective_from timestamptz NOT NULL, timezone text NOT NULL, "
            "PRIMARY KEY (user_id, effective_from))",
            "CREATE TABLE IF NOT EXISTS {} (id uuid PRIMARY KEY, user_id uuid NOT NULL, "
            "day date NOT NULL, category text NOT NULL, plan_category text NOT NULL, "
            "amount numeric(14,2) NOT NULL, spent_at timestamptz NOT NULL, "
            "placed_at timestamptz NOT NULL, deleted boolean NOT NULL DEFAULT false)",
            "CREATE TABLE IF NOT EXISTS {} (position bigint NOT NULL, seq int NOT NULL, "
            "user_id uuid NOT NULL, at timestamptz NOT NULL, from_category text NOT NULL, "
            "from_date date NOT NULL, to_category text NOT NULL, to_date date NOT NULL, "
            "amount numeric(14,2) NOT NULL, reason text NOT NULL, PRIMARY KEY (position, seq))",
            # A transaction's first real-time cover (what the answer to its recording reports).
            "CREATE TABLE IF NOT EXISTS {} (transaction_id uuid PRIMARY KEY, "
            "user_id uuid NOT NULL, position bigint NOT NULL, covered numeric(14,2) NOT NULL, "
            "fully_covered boolean NOT NULL)",
        )
        for table, statement in zip(TABLES, statements, strict=True):
            await conn.execute(sql.SQL(statement).format(self.table(table)))
        await conn.execute(
            sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (user_id, day)").format(
                sql.Identifier(f"{self.name}_tx_user_day"), self.table("budget_tx")
            )
        )
        await history.setup(conn, self.table)

    async def drop(self, conn: AsyncConnection[DictRow]) -> None:
        """Drop the read model tables."""
        for table in TABLES:
            await conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(self.table(table)))
        await history.drop(conn, self.table)

    async def apply(self, conn: AsyncConnection[DictRow], event: EventEnvelope) -> None:
        """Apply one event (the same fold as a batch: ``apply_many``)."""
        await self.apply_many(conn, [event])

    async def apply_budget_or_zone(
        self, conn: AsyncConnection[DictRow], event: EventEnvelope
    ) -> None:
        """Apply one budget event or one zone change (ledger events fold in runs)."""
        if event.type == PLANNED:
            await self._planned(conn, event)
            await history.log_plan(conn, self.table, event)
        elif event.type in (REDISTRIBUTED, REBALANCED, ADAPTED):
            await self._moved(conn, event)
        elif event.type in (MODE_CHANGED, AUTOMATION_CHANGED):
            await history.set_profile(conn, self.table, event)
        elif event.type in (GOAL_RESERVE_CHANGED, INSTALLMENT_FOLLOWED):
            await history.follow_commitment(conn, self.table, event)
        elif event.type in (SUBMITTED, REGISTERED, PROFILE_UPDATED):
            if event.type == SUBMITTED:
                await history.set_profile(conn, self.table, event)
            name = zone_change(event.type, event.payload)
            if name is None:
                return
            user = self._user(event) if event.type == SUBMITTED else event.aggregate_id
            await conn.execute(
                sql.SQL(
                    "INSERT INTO {} (user_id, effective_from, timezone) VALUES (%s, %s, %s) "
                    "ON CONFLICT (user_id, effective_from) DO UPDATE SET timezone = "
                    "EXCLUDED.timezone"
                ).format(self.table("budget_users")),
                (user, event.occurred_at, name),
            )
            await self._replace(conn, user, event.occurred_at)

    async def apply_many(self, conn: AsyncConnection[DictRow], events: list[EventEnvelope]) -> None:
        """Apply events in order: runs of ledger events folded in memory, budget events singly.

        A budget event reads what the events before it wrote (``OnboardingSubmitted``
        re-places transactions), so each run is written before the next budget event.
        """
        run: list[EventEnvelope] = []
        for event in events:
            if event.type in (RECORDED, AMENDED, DELETED):
                run.append(event)
                continue
            await self._spend_run(conn, run)
            run = []
            await self.apply_budget_or_zone(conn, event)
        await self._spend_run(conn, run)

    async def _spend_run(self, conn: AsyncConnection[DictRow], run: list[EventEnvelope]) -> None:
        """Fold consecutive ledger events with two reads and two writes (the tests hold the
        one-by-one oracle this must agree with: ``tests/integration/budget_oracle.py``)."""
        if not run:
            return
        txs = self.table("budget_tx")
        cur = await conn.execute(
            sql.SQL(
                "SELECT id, user_id, day, category, plan_category, amount, spent_at, placed_at, "
                "deleted FROM {} WHERE id = ANY(%b)"
            ).format(txs),
            (list({e.aggregate_id for e in run}),),
        )
        loaded = {r.pop("id"): Tx(**r) for r in await cur.fetchall()}
        cur = await conn.execute(
            sql.SQL(
                "SELECT user_id, effective_from, timezone FROM {} WHERE user_id = ANY(%b)"
            ).format(self.table("budget_users")),
            (list({self._user(e) for e in run}),),
        )
        zones = Zones(
            (r["user_id"], r["effective_from"], r["timezone"]) for r in await cur.fetchall()
        )
        fold = SpendingFold(loaded, zones, conn.info.timezone)
        for event in run:
            fold.apply(event)
        empty = await write_fold(conn, self.table, fold)
        if empty:
            await drop_empty(conn, self.table, empty)

    @staticmethod
    def _user(event: EventEnvelope) -> uuid.UUID:
        return uuid.UUID(str(event.payload["user_id"]))

    async def _add(
        self,
        conn: AsyncConnection[DictRow],
        user: uuid.UUID,
        day: dt.date,
        category: str,
        *,
        planned: Decimal = Decimal(0),
        spent: Decimal = Decimal(0),
    ) -> None:
        cur = await conn.execute(
            sql.SQL(
                "INSERT INTO {} AS d (user_id, day, category, planned, spent) "
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (user_id, day, category) DO UPDATE SET "
                "planned = d.planned + EXCLUDED.planned, spent = d.spent + EXCLUDED.spent "
                "RETURNING planned = 0 AND spent = 0 AS empty"
            ).format(self.table("budget_days")),
            (user, day, category, planned, spent),
        )
        row = await cur.fetchone()
        if row is not None and row["empty"]:
            await drop_empty(conn, self.table, [(user, day, category)])

    async def _planned(self, conn: AsyncConnection[DictRow], event: EventEnvelope) -> None:
        """A new layout replaces the month's planned amounts (spent stays)."""
        user = self._user(event)
        year, month = int(event.payload["year"]), int(event.payload["month"])
        last = calendar.monthrange(year, month)[1]
        await conn.execute(
            sql.SQL(
                "UPDATE {} SET planned = 0 WHERE user_id = %s AND day BETWEEN %s AND %s"
            ).format(self.table("budget_days")),
            (user, dt.date(year, month, 1), dt.date(year, month, last)),
        )
        cells = [
            (dt.date.fromisoformat(day), category, Decimal(str(amount)))
            for day, amounts in event.payload["days"].items()
            for category, amount in amounts.items()
        ]
        # One statement for the month: each cell rounds as its own upsert would, and cells
        # naming the same day twice ("2024-03-01", "20240301") add up as they would one by one.
        await conn.execute(
            sql.SQL(
                "INSERT INTO {} AS d (user_id, day, category, planned) "
                "SELECT %s::uuid, day, category, sum(planned::numeric(14,2)) "
                "FROM unnest(%b::date[], %b::text[], %b::numeric[]) AS c(day, category, planned) "
                "GROUP BY day, category ORDER BY day, category "
                "ON CONFLICT (user_id, day, category) DO UPDATE SET "
                "planned = d.planned + EXCLUDED.planned"
            ).format(self.table("budget_days")),
            (user, [c[0] for c in cells], [c[1] for c in cells], [c[2] for c in cells]),
        )
        # Cells the new layout leaves out and nothing was spent on: empty, so not kept.
        await conn.execute(
            sql.SQL(
                "DELETE FROM {} WHERE user_id = %s AND day BETWEEN %s AND %s "
                "AND planned = 0 AND spent = 0"
            ).format(self.table("budget_days")),
            (user, dt.date(year, month, 1), dt.date(year, month, last)),
        )

    async def _moved(self, conn: AsyncConnection[DictRow], event: EventEnvelope) -> None:
        user = self._user(event)
        reason = MOVE_REASONS[event.type]
        at = event.payload.get("at") or event.occurred_at
        if event.type == REDISTRIBUTED:
            await conn.execute(
                sql.SQL(
                    "INSERT INTO {} (transaction_id, user_id, position, covered, fully_covered) "
                    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (transaction_id) DO NOTHING"
                ).format(self.table("budget_covers")),
                (
                    uuid.UUID(str(event.payload["trigger_transaction_id"])),
                    user,
                    event.position,
                    Decimal(str(event.payload["covered"])),
                    bool(event.payload["fully_covered"]),
                ),
            )
        for seq, move in enumerate(event.payload["moves"]):
            amount = Decimal(str(move["amount"]))
            from_date = dt.date.fromisoformat(str(move["from_date"]))
            to_date = dt.date.fromisoformat(str(move["to_date"]))
            await self._add(conn, user, from_date, move["from_category"], planned=-amount)
            await self._add(conn, user, to_date, move["to_category"], planned=amount)
            await conn.execute(
                sql.SQL(
                    "INSERT INTO {} (position, seq, user_id, at, from_category, from_date, "
                    "to_category, to_date, amount, reason) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                ).format(self.table("budget_moves")),
                (
                    event.position,
                    seq,
                    user,
                    at,
                    move["from_category"],
                    from_date,
                    move["to_category"],
                    to_date,
                    amount,
                    reason,
                ),
            )

    async def _replace(
        self, conn: AsyncConnection[DictRow], user: uuid.UUID, since: dt.datetime
    ) -> None:
        """A zone arrived late: re-place the transactions last placed at or after it took effect.

        Deleted ones too (their day only, they count nowhere): a rebuild, replaying the zone
        first, would have placed them on their local day. The zone history is read once and
        only the transactions whose day changes are written, in two statements: a late
        registration zone re-examines every later transaction of its user.
        """
        txs = self.table("budget_tx")
        cur = await conn.execute(
            sql.SQL(
                "SELECT id, day, plan_category, amount, spent_at, placed_at, deleted FROM {} "
                "WHERE user_id = %s AND placed_at >= %s"
            ).format(txs),
            (user, since),
        )
        rows = await cur.fetchall()
        if not rows:
            return
        cur = await conn.execute(
            sql.SQL("SELECT effective_from, timezone FROM {} WHERE user_id = %s").format(
                self.table("budget_users")
            ),
            (user,),
        )
        zones = Zones((user, r["effective_from"], r["timezone"]) for r in await cur.fetchall())
        moved, deltas = replaced(rows, lambda at: zones.at(user, at))
        if not moved:
            return
        await add_spent(conn, self.table, user, deltas)
        await conn.execute(
            sql.SQL(
                "UPDATE {} t SET day = m.day FROM unnest(%b::uuid[], %b::date[]) AS m(id, day) "
                "WHERE t.id = m.id"
            ).format(txs),
            ([m[0] for m in moved], [m[1] for m in moved]),
        )
