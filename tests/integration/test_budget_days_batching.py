"""``BudgetDaysProjection.apply_many`` folds runs of ledger events in memory: however a stored
history is cut into batches, the rows equal applying its events one by one, and a rebuild."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from services.budget.application import BudgetApplication
from services.budget.read.placement import (
    AMENDED,
    DELETED,
    PLANNED,
    REBALANCED,
    RECORDED,
    REDISTRIBUTED,
    SUBMITTED,
)
from services.ledger.application import LedgerApplication
from services.ledger.domain import AMENDABLE, Transaction
from shared.projections import apply_batch
from shared.rebuild import rebuild
from shared.settings import MitaSettings
from tests.helpers import ledger_app
from tests.integration.budget_variants import (
    CATEGORIES,
    everything,
    fresh,
    mixes,
    moment,
    one_batch,
    one_by_one,
    random_batches,
    stored,
)

ANSWERS: dict[str, Any] = {
    "income": {"monthly_income": "3100.00"},
    "fixed_expenses": {"rent": "1000.00"},
    "spending_habits": {"entertainment_per_month": 2},
}


def bypass(app: LedgerApplication, tx_id: uuid.UUID, **changes: Any) -> None:
    """Store an amend the domain would refuse (deleted transaction, unknown category)."""
    tx: Transaction = app.repository.get(tx_id)
    tx.trigger_event(tx.Amended, **({k: None for k in AMENDABLE} | changes))
    app.save(tx)


def history(settings: MitaSettings) -> dict[str, Any]:
    """Three users' ledger and budget history, stored; what the read model must sum to."""
    budget = BudgetApplication.for_database(settings.database_url, settings.schema_for("budget"))
    assert isinstance(budget, BudgetApplication)
    ledger = ledger_app(settings)
    rng = random.Random(20240301)
    sofia, tokyo, drifter = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    owned: dict[uuid.UUID, list[uuid.UUID]] = {sofia: [], tokyo: [], drifter: []}
    live: dict[uuid.UUID, uuid.UUID] = {}  # transaction -> its user, while not deleted
    deleted: list[tuple[uuid.UUID, uuid.UUID]] = []

    def record(user: uuid.UUID, category: str | None = None) -> uuid.UUID:
        amount = Decimal(rng.randrange(100, 40_000)).scaleb(-2)
        saved = ledger.record(
            user_id=user, amount=amount, category=category or rng.choice(CATEGORIES),
            spent_at=moment(rng),
        )  # fmt: skip
        owned[user].append(saved.transaction.id)
        live[saved.transaction.id] = user
        return saved.transaction.id

    # Before any onboarding: on UTC days.
    for user in owned:
        record(user)
    budget.submit_onboarding(sofia, ANSWERS, "Europe/Sofia", dt.date(2024, 3, 1))
    budget.submit_onboarding(tokyo, ANSWERS, "Asia/Tokyo", dt.date(2024, 3, 1))
    for step in range(160):
        if step == 60:  # sofia moves: a new zone from now on, March replanned from the 15th
            budget.submit_onboarding(sofia, ANSWERS, "America/New_York", dt.date(2024, 3, 15))
        if step == 80:
            trigger = record(sofia, "dining")
            covered = budget.cover_overspend(
                sofia, trigger, day=dt.date(2024, 3, 10), category="food",
                spent=Decimal("400.00"), today=dt.date(2024, 3, 10),
            )  # fmt: skip
            assert covered.moves
        if step == 100:
            moved = budget.redistribute(
                tokyo, dt.date(2024, 3, 20), {dt.date(2024, 3, 10): {"food": Decimal("500.00")}}
            )
            assert moved.moves
        if step == 120:
            budget.ensure_month(tokyo, 2024, 5)
        if step in (40, 90, 130) and deleted:  # re-amends after delete: ignored
            tx_id, user = rng.choice(deleted)
            bypass(ledger, tx_id, user_id=user, amount=Decimal("77.00"), category="travel")
        if step in (50, 110):  # an unknown category counts as "other"
            tx_id = rng.choice(list(live))
            bypass(ledger, tx_id, user_id=live[tx_id], category="mystery")
        # Choices from insertion-ordered lists: the stream depends on the seed only.
        user = rng.choice(list(owned))
        roll = rng.random()
        mine = [t for t in owned[user] if t in live]
        if roll < 0.45 or not mine:
            record(user)
        elif roll < 0.85:  # amend a subset of amount, category and spent_at
            fields = rng.sample(("amount", "category", "spent_at"), rng.randint(1, 3))
            changes: dict[str, Any] = {
                "amount": Decimal(rng.randrange(100, 40_000)).scaleb(-2),
                "category": rng.choice(CATEGORIES),
                "spent_at": moment(rng),
            }
            ledger.amend(rng.choice(mine), user_id=user, **{f: changes[f] for f in fields})
        else:
            tx_id = rng.choice(mine)
            ledger.delete(tx_id, user_id=user)
            del live[tx_id]
            deleted.append((tx_id, user))
    spent = {u: Decimal("0.00") for u in owned}
    for tx_id, user in live.items():
        tx: Transaction = ledger.repository.get(tx_id)
        spent[user] += tx.amount
    plans = {
        (user, month): plan.days
        for user in (sofia, tokyo)
        for month in (3, 4, 5)
        if (plan := budget.month_plan(user, 2024, month)) is not None
    }
    return {"spent": spent, "plans": plans}


async def test_batches_equal_one_by_one_and_rebuild(
    settings: MitaSettings, conn: AsyncConnection[DictRow]
) -> None:
    """One by one, one batch, random batches and a rebuild: the same rows in every table."""
    expected = history(settings)
    events = await stored(conn, settings)
    assert {RECORDED, AMENDED, DELETED, PLANNED, SUBMITTED, REDISTRIBUTED, REBALANCED} <= {
        e.type for e in events
    }

    want = await one_by_one(conn, await fresh(conn, settings, "a"), events)
    assert await one_batch(conn, await fresh(conn, settings, "b"), events) == want
    mixed = 0
    for seed in (1, 2, 3):
        got, batches = await random_batches(
            conn, await fresh(conn, settings, f"c{seed}"), events, seed
        )
        assert got == want, f"seed {seed}"
        mixed += sum(mixes(b) for b in batches)
    assert mixed > 0
    for size in (2000, 13):
        projection = await fresh(conn, settings, f"d{size}")
        assert await rebuild(conn, settings, projection, batch_size=size) == len(events)
        assert await everything(conn, projection.schema) == want, f"rebuild by {size}"

    # And the rows are right, not only alike: spent sums the live transactions, planned is
    # each month's plan as the budget write model holds it after the moves.
    cur = await conn.execute(
        sql.SQL("SELECT user_id, day, category, planned, spent FROM {}.budget_days").format(
            sql.Identifier(f"{settings.schema_prefix}days_a")
        )
    )
    rows = await cur.fetchall()
    await conn.commit()
    for user, total in expected["spent"].items():
        assert sum((r["spent"] for r in rows if r["user_id"] == user), Decimal(0)) == total
    for (user, month), days in expected["plans"].items():
        got_planned = {
            (r["day"], r["category"]): r["planned"]
            for r in rows
            if r["user_id"] == user and r["day"].month == month and r["planned"] != 0
        }
        plan = {(d, c): a for d, cells in days.items() for c, a in cells.items() if a != 0}
        assert got_planned == plan, (user, month)


async def test_one_batch_mixes_ledger_and_a_late_zone(
    settings: MitaSettings, conn: AsyncConnection[DictRow]
) -> None:
    """Ledger events, then the zone they fall under (late), then more: in one batch as singly."""
    budget = BudgetApplication.for_database(settings.database_url, settings.schema_for("budget"))
    assert isinstance(budget, BudgetApplication)
    ledger = ledger_app(settings)
    user = uuid.uuid4()
    budget.submit_onboarding(user, ANSWERS, "Asia/Tokyo", dt.date(2024, 3, 1))
    # 20:30 UTC on the 9th is 05:30 on the 10th in Tokyo.
    late = ledger.record(
        user_id=user, amount=Decimal("12.00"), category="dining",
        spent_at=dt.datetime(2024, 3, 9, 20, 30, tzinfo=dt.UTC),
    )  # fmt: skip
    other = ledger.record(
        user_id=user, amount=Decimal("8.00"), category="taxi",
        spent_at=dt.datetime(2024, 3, 31, 16, 0, tzinfo=dt.UTC),
    )  # fmt: skip
    ledger.amend(late.transaction.id, user_id=user, amount=Decimal("15.00"))
    ledger.amend(other.transaction.id, user_id=user, category="groceries")
    ledger.delete(other.transaction.id, user_id=user)
    events = await stored(conn, settings)
    ledger_events = [e for e in events if e.service == "ledger"]
    # The first two ledger events arrive before the zone (the bus gives no order across topics).
    batch = ledger_events[:2] + [e for e in events if e.service == "budget"] + ledger_events[2:]
    assert mixes(batch)
    assert [e.service for e in batch[1:3]] == ["ledger", "budget"]
    assert batch[-1].service == "ledger"
    assert SUBMITTED in {e.type for e in batch}

    want = await one_by_one(conn, await fresh(conn, settings, "a"), batch)
    projection = await fresh(conn, settings, "b")
    assert await apply_batch(conn, projection, batch) == len(batch)
    assert await everything(conn, projection.schema) == want
    cur = await conn.execute(
        sql.SQL("SELECT day, amount FROM {}.budget_tx WHERE id = %s").format(
            sql.Identifier(projection.schema)
        ),
        (late.transaction.id,),
    )
    row = await cur.fetchone()
    await conn.commit()
    assert row == {"day": dt.date(2024, 3, 10), "amount": Decimal("15.00")}  # its Tokyo day
