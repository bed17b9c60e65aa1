"""The ``budget_days`` read model on Postgres: planned from budget events, spent from ledger
events on the user-local day, amend/move/delete, exactly-once, and rebuild == incremental."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from services.budget.application import BudgetApplication
from services.budget.read.projections import BudgetDaysProjection
from shared.envelope import EventEnvelope
from shared.projections import apply_batch, setup_tracking
from shared.rebuild import rebuild
from shared.relay import read_stored
from shared.settings import MitaSettings
from shared.sources import SourceTable
from shared.store import to_envelope
from tests.helpers import ledger_app
from tests.integration.budget_variants import everything

ANSWERS: dict[str, Any] = {
    "income": {"monthly_income": "3100.00"},
    "fixed_expenses": {"rent": "1000.00"},
    "spending_habits": {"entertainment_per_month": 2},
}
SOFIA = "Europe/Sofia"


async def envelopes(
    conn: AsyncConnection[DictRow], settings: MitaSettings, service: str, after: int = 0
) -> list[EventEnvelope]:
    """Every stored event of a service after a position, as the bus carries it."""
    rows = await read_stored(
        conn, SourceTable(service, settings.schema_for(service)), after, 10_000
    )
    await conn.commit()
    return [to_envelope(service, pos, stored) for pos, stored in rows]


async def cells(
    conn: AsyncConnection[DictRow], schema: str, user: uuid.UUID
) -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
    """Non-empty (day, category) → (planned, spent)."""
    cur = await conn.execute(
        sql.SQL(
            "SELECT day, category, planned, spent FROM {}.budget_days WHERE user_id = %s "
            "AND (planned <> 0 OR spent <> 0)"
        ).format(sql.Identifier(schema)),
        (user,),
    )
    out = {
        (r["day"].isoformat(), r["category"]): (r["planned"], r["spent"])
        for r in await cur.fetchall()
    }
    await conn.commit()
    return out


async def test_planned_spent_local_days_and_rebuild(
    settings: MitaSettings, conn: AsyncConnection[DictRow]
) -> None:
    """The full fold, fed incrementally with duplicates, equals a rebuild from the stores."""
    budget = BudgetApplication.for_database(settings.database_url, settings.schema_for("budget"))
    assert isinstance(budget, BudgetApplication)
    ledger = ledger_app(settings)
    projection = BudgetDaysProjection(settings.schema_for("budget"))
    await setup_tracking(conn, projection.schema)
    await projection.setup(conn)
    await conn.commit()

    user, other = uuid.uuid4(), uuid.uuid4()
    # A transaction before onboarding counts on its UTC day.
    early = ledger.record(
        user_id=user, amount=Decimal("5.00"), category="coffee",
        spent_at=dt.datetime(2024, 3, 4, 23, 30, tzinfo=dt.UTC),
    )  # fmt: skip
    budget.submit_onboarding(user, ANSWERS, SOFIA, dt.date(2024, 3, 1))
    budget.submit_onboarding(other, ANSWERS, "UTC", dt.date(2024, 3, 1))
    plan = budget.month_plan(user, 2024, 3)
    assert plan is not None
    # 23:30 in Sofia (UTC+2) on the 10th, written with a +09:00 offset (the 11th there).
    late = ledger.record(
        user_id=user, amount=Decimal("12.50"), category="dining",
        spent_at=dt.datetime(2024, 3, 11, 6, 30, tzinfo=dt.timezone(dt.timedelta(hours=9))),
    )  # fmt: skip
    # 21:30 UTC on 31 March is 00:30 on 1 April in Sofia (UTC+3 after the DST switch).
    boundary = ledger.record(
        user_id=user, amount=Decimal("7.00"), category="taxi",
        spent_at=dt.datetime(2024, 3, 31, 21, 30, tzinfo=dt.UTC),
    )  # fmt: skip
    gone = ledger.record(
        user_id=user, amount=Decimal("30.00"), category="clothing",
        spent_at=dt.datetime(2024, 3, 15, 10, 0, tzinfo=dt.UTC),
    )  # fmt: skip

    first_budget = await envelopes(conn, settings, "budget")
    first_ledger = await envelopes(conn, settings, "ledger")
    assert await apply_batch(conn, projection, first_ledger + first_budget) > 0
    got = await cells(conn, projection.schema, user)
    assert got[("2024-03-04", "food")][1] == Decimal("5.00")
    assert got[("2024-03-10", "food")][1] == Decimal("12.50")
    assert ("2024-03-11", "food") not in got or got[("2024-03-11", "food")][1] == 0
    assert got[("2024-04-01", "transportation")][1] == Decimal("7.00")
    assert got[("2024-03-15", "shopping")][1] == Decimal("30.00")
    assert got[("2024-03-01", "housing")][0] == Decimal("1000.00")
    for day, amounts in plan.days.items():
        for category, amount in amounts.items():
            assert got[(day.isoformat(), category)][0] == amount
    # Duplicates (a redelivered batch) change nothing.
    before = await everything(conn, projection.schema)
    assert await apply_batch(conn, projection, first_budget + first_ledger) == 0
    assert await everything(conn, projection.schema) == before

    # Amend: move the dinner to a taxi on the 12th; then change only its amount; delete another.
    head_ledger, head_budget = ledger.head_position(), budget.head_position()
    ledger.amend(late.transaction.id, user_id=user, category="taxi",
                 spent_at=dt.datetime(2024, 3, 12, 8, 0, tzinfo=dt.UTC))  # fmt: skip
    ledger.amend(late.transaction.id, user_id=user, amount=Decimal("20.00"))
    ledger.delete(gone.transaction.id, user_id=user)
    moved = budget.redistribute(
        user, dt.date(2024, 3, 20), {dt.date(2024, 3, 10): {"food": Decimal("500.00")}}
    )
    assert moved.moves
    later = await envelopes(conn, settings, "budget", head_budget)
    later += await envelopes(conn, settings, "ledger", head_ledger)
    await apply_batch(conn, projection, later)
    got = await cells(conn, projection.schema, user)
    assert got[("2024-03-10", "food")][1] == 0
    assert got[("2024-03-12", "transportation")][1] == Decimal("20.00")
    assert got[("2024-03-15", "shopping")][1] == 0
    total = sum((p for p, _ in got.values() if True), Decimal(0))
    assert total == Decimal("3100.00") * 2  # March and April plans, conserved by the moves
    spent = sum((s for _, s in got.values()), Decimal(0))
    assert spent == Decimal("5.00") + Decimal("20.00") + Decimal("7.00")
    cur = await conn.execute(
        sql.SQL("SELECT count(*) AS n FROM {}.budget_moves WHERE user_id = %s").format(
            sql.Identifier(projection.schema)
        ),
        (user,),
    )
    row = await cur.fetchone()
    await conn.commit()
    assert row is not None
    assert row["n"] == len(moved.moves)
    assert early.transaction.id
    assert boundary.transaction.id

    incremental = await everything(conn, projection.schema)
    count = await rebuild(conn, settings, projection)
    assert count == budget.head_position() + ledger.head_position()
    assert await everything(conn, projection.schema) == incremental
