"""Budget invariants 1 to 5 (budget-engine.md) as properties of the real ``budget_days`` projection
on Postgres, fed from the real ledger and budget stores (the pure engine: tests/unit)."""

from __future__ import annotations

import calendar
import datetime as dt
import json
import random
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import hypothesis
import pytest
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from services.budget.deps import BudgetContext
from services.budget.engine.redistribution import Move
from services.budget.main import create_app
from services.budget.read.queries import grid, spent_of
from shared import tokens
from shared.envelope import EventEnvelope
from shared.projections import apply_batch
from shared.rebuild import rebuild
from shared.settings import MitaSettings
from tests.integration.budget_world import Key, World, own_world, snapshot

PROPERTY = hypothesis.settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],  # explain takes minutes
)
UTC, ZERO = dt.UTC, Decimal(0)
ZONES = ("Europe/Sofia", "America/New_York", "Pacific/Auckland", "Asia/Kolkata", "UTC")
# Transaction category → plan category, from the spec's table (not the engine's mapping).
ROLLS_UP = {
    "groceries": "food", "dining": "food", "coffee": "food", "taxi": "transportation",
    "gas": "transportation", "healthcare": "healthcare", "clothing": "shopping", "pets": "shopping",
    "childcare": "education", "subscriptions": "entertainment", "travel": "travel",
    "charity": "other", "rent": "housing", "utilities": "utilities",
}  # fmt: skip
SACRED = frozenset({"housing", "utilities", "insurance", "savings", "phone"})
ANSWERS: dict[str, Any] = {
    "income": {"monthly_income": "4000.00", "additional_income": "250.50"},
    "fixed_expenses": {"rent": "1200.00", "phone": "35.99"},
    "spending_habits": {"entertainment_per_month": 3},
}
OFFSETS = tuple(dt.timezone(dt.timedelta(minutes=m)) for m in (0, 540, -300, 330, 840, -660))
BOUNDARIES = (dt.datetime(2026, 3, 1, tzinfo=UTC), dt.datetime(2026, 4, 1, tzinfo=UTC))


def cents(low: int, high: int) -> st.SearchStrategy[Decimal]:
    """Exact money with two places, between ``low`` and ``high`` cents."""
    return st.integers(low, high).map(lambda c: Decimal(c).scaleb(-2))


def instants(around: dt.datetime | None = None) -> st.SearchStrategy[dt.datetime]:
    """Instants, mostly near a month boundary (or ``around``), written with any UTC offset."""
    bases = st.sampled_from((around,) if around else BOUNDARIES)
    near = st.builds(lambda b, m: b + dt.timedelta(minutes=m), bases, st.integers(-2400, 2400))
    start = (around or BOUNDARIES[0]) - dt.timedelta(days=30)
    anywhere = st.integers(0, 45 * 1440).map(lambda m: start + dt.timedelta(minutes=m))
    return st.builds(lambda t, z: t.astimezone(z), near | anywhere, st.sampled_from(OFFSETS))


@dataclass(frozen=True)
class Op:
    """One write: create, amend, delete, rezone (re-onboard), cover or rebalance."""

    kind: str
    target: int = 0
    amount: Decimal | None = None
    category: str | None = None
    spent_at: dt.datetime | None = None
    zone: str | None = None


def operations(around: dt.datetime | None = None, *, moves: bool = True) -> st.SearchStrategy[Op]:
    """Writes on one user's transactions (and, with ``moves``, on the user's plan)."""
    money, kinds, when = cents(1, 40_000), st.sampled_from(sorted(ROLLS_UP)), instants(around)
    create = st.builds(Op, st.just("create"), amount=money, category=kinds, spent_at=when)
    amend = st.builds(
        Op, st.just("amend"), st.integers(0, 20), amount=st.none() | money,
        category=st.none() | kinds, spent_at=st.none() | when,
    )  # fmt: skip
    choices = [create, create, amend, amend, st.builds(Op, st.just("delete"), st.integers(0, 20))]
    if moves:
        choices += [
            st.builds(Op, st.just("rezone"), zone=st.sampled_from(ZONES)),
            st.builds(Op, st.sampled_from(["cover", "rebalance"]), st.integers(0, 20)),
        ]
    return st.one_of(*choices)


@dataclass
class Tx:
    """A transaction as the ledger holds it, and the user's zone when it was last placed."""

    amount: Decimal
    category: str
    spent_at: dt.datetime
    zone: str
    live: bool = True

    def cell(self) -> Key:
        """The user-local (day, plan category) it counts on."""
        return self.spent_at.astimezone(ZoneInfo(self.zone)).date(), ROLLS_UP[self.category]


async def cover(world: World, user: uuid.UUID, tx: uuid.UUID, today: dt.date) -> tuple[Move, ...]:
    """As the policy decides: cover the tx's day-category if the read model shows it overspent."""
    cur = await world.conn.execute(
        sql.SQL(
            "SELECT t.day, t.plan_category AS c, d.spent, d.planned FROM {} t JOIN {} d USING "
            "(user_id, day) WHERE d.category = t.plan_category AND t.id = %s AND NOT t.deleted"
        ).format(world.projection.table("budget_tx"), world.projection.table("budget_days")),
        (tx,),
    )
    row = await cur.fetchone()
    await world.conn.commit()
    if row is None or row["spent"] <= row["planned"]:
        return ()
    day, category, spent = row["day"], row["c"], row["spent"]
    return world.budget.cover_overspend(
        user, tx, day=day, category=category, spent=spent, today=today
    ).moves


async def rebalance(world: World, user: uuid.UUID, today: dt.date) -> tuple[Move, ...]:
    """``POST /budget/redistribute`` as the API does it: spent from the read model's month."""
    last = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    days = await grid(world.conn, world.projection.schema, user, today.replace(day=1), last)
    return world.budget.redistribute(user, today, spent_of(days)).moves


async def run(
    world: World, user: uuid.UUID, zone: str, ops: list[Op], after: Callable[[], Awaitable[None]]
) -> dict[uuid.UUID, Tx]:
    """Perform ``ops`` on the write models (``after`` each one); return the expected ledger."""
    txs: dict[uuid.UUID, Tx] = {}
    for op in ops:
        live = [i for i, tx in txs.items() if tx.live]
        target = live[op.target % len(live)] if live else None
        if op.kind == "create" and op.amount and op.category and op.spent_at:
            saved = world.ledger.record(
                user_id=user, amount=op.amount, category=op.category, spent_at=op.spent_at
            )
            txs[saved.transaction.id] = Tx(op.amount, op.category, op.spent_at, zone)
        elif op.kind == "amend" and target:
            changes = {"amount": op.amount, "category": op.category, "spent_at": op.spent_at}
            if world.ledger.amend(target, user_id=user, **changes).position:
                old = txs[target]  # an amend that changes something re-places the transaction
                txs[target] = Tx(
                    op.amount or old.amount, op.category or old.category,
                    op.spent_at or old.spent_at, zone,
                )  # fmt: skip
        elif op.kind == "delete" and target:
            world.ledger.delete(target, user_id=user)
            txs[target].live = False
        elif op.kind == "rezone" and op.zone:
            world.budget.submit_onboarding(user, ANSWERS, op.zone, dt.date(2026, 3, 12))
            zone = op.zone
        elif op.kind == "cover" and target:
            await cover(world, user, target, dt.date(2026, 3, 5))
        elif op.kind == "rebalance":
            await rebalance(world, user, dt.date(2026, 3, 16))
        await after()
    return txs


def expected_spent(txs: dict[uuid.UUID, Tx]) -> dict[Key, Decimal]:
    """Σ amount of the live transactions per user-local (day, plan category)."""
    out: dict[Key, Decimal] = {}
    for tx in (tx for tx in txs.values() if tx.live):
        out[tx.cell()] = out.get(tx.cell(), ZERO) + tx.amount
    return out


def by_month(amounts: dict[Key, Decimal]) -> dict[tuple[int, int], Decimal]:
    """Σ per (year, month)."""
    months = {(day.year, day.month) for day, _ in amounts}
    return {
        m: sum((a for (d, _), a in amounts.items() if (d.year, d.month) == m), ZERO) for m in months
    }


@PROPERTY
@given(
    zone=st.sampled_from(ZONES),
    ops=st.lists(st.tuples(operations(), st.booleans()), min_size=1, max_size=12),
    ledger_first=st.booleans(),
)
async def test_month_spent_equals_live_transactions(
    world: World, zone: str, ops: list[tuple[Op, bool]], ledger_first: bool
) -> None:
    """Invariant 2: Σ spent per month (and per day-category) = the live transactions there."""
    user = uuid.uuid4()
    world.budget.submit_onboarding(user, ANSWERS, zone, dt.date(2026, 3, 1))
    flushes = iter([flush for _, flush in ops])

    async def step() -> None:
        """Feed the projection after some of the writes."""
        if next(flushes):
            await world.feed(ledger_first=ledger_first)

    txs = await run(world, user, zone, [op for op, _ in ops], step)
    await world.feed(ledger_first=ledger_first)
    got = await world.spent(user)
    assert by_month(got) == by_month(expected_spent(txs))
    assert got == expected_spent(txs)


Dashboard = Callable[[uuid.UUID, dt.datetime], Awaitable[dict[str, Any]]]


@pytest.fixture
async def dashboard(
    settings: MitaSettings, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Dashboard]:
    """``GET /dashboard`` of the budget app (ASGI) as a user at a given instant, money exact."""
    clock = [dt.datetime.now(UTC)]
    monkeypatch.setattr(BudgetContext, "now", staticmethod(lambda: clock[0]))
    app = create_app(settings)

    async def get(user: uuid.UUID, now: dt.datetime) -> dict[str, Any]:
        """The dashboard's data."""
        clock[0] = now
        token, _ = tokens.issue(
            settings.secret_key.get_secret_value(), user_id=user, typ="access",
            ttl=dt.timedelta(minutes=5), token_version=0, scopes=tokens.USER_SCOPES,
        )  # fmt: skip
        answer = await client.get("/dashboard", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.text
        data: dict[str, Any] = json.loads(answer.text, parse_float=Decimal)["data"]
        return data

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://budget") as client:
            yield get


NOW = dt.datetime(2026, 3, 20, 12, tzinfo=UTC)


@PROPERTY
@given(
    zone=st.sampled_from(ZONES),
    now=st.integers(-25 * 1440, 12 * 1440).map(lambda m: NOW + dt.timedelta(minutes=m)),
    income=st.tuples(cents(200_000, 900_000), cents(0, 50_000)),
    ops=st.lists(operations(NOW, moves=False), min_size=1, max_size=10),
)
async def test_dashboard_balance_is_income_minus_month_to_date_spent(
    world: World, dashboard: Dashboard, zone: str, now: dt.datetime,
    income: tuple[Decimal, Decimal], ops: list[Op],
) -> None:  # fmt: skip
    """Invariant 3: the dashboard's balance = income - Σ spent from the 1st to today (local)."""
    user, today = uuid.uuid4(), now.astimezone(ZoneInfo(zone)).date()
    answers = {**ANSWERS, "income": {"monthly_income": income[0], "additional_income": income[1]}}
    world.budget.submit_onboarding(user, answers, zone, today)
    spent = expected_spent(await run(world, user, zone, ops, world.feed))
    data = await dashboard(user, now)
    to_date = sum((a for (d, _), a in spent.items() if today.replace(day=1) <= d <= today), ZERO)
    assert data["user_income"] == sum(income)
    assert data["balance"] == sum(income) - to_date
    assert data["spent"] == sum((a for (d, _), a in spent.items() if d == today), ZERO)


@st.composite
def onboarding(draw: st.DrawFn) -> dict[str, Any]:
    """Answers with a random income, SACRED fixed expenses and habits."""
    income = draw(cents(150_000, 900_000))
    rent = (income * draw(st.integers(0, 45)) / 100).quantize(Decimal("0.01"))
    fixed = {"rent": rent, "phone": draw(cents(0, 6_000)), "utilities": draw(cents(0, 20_000))}
    habits = {"entertainment_per_month": draw(st.integers(1, 8))}
    return {"income": {"monthly_income": income}, "fixed_expenses": fixed,
            "spending_habits": habits | {"travel_per_year": draw(st.integers(0, 2))}}  # fmt: skip


# (days to advance today, days back from today, amount, category, local minute, action)
STEPS = st.tuples(
    st.integers(0, 4), st.integers(-2, 3), cents(100, 40_000), st.sampled_from(sorted(ROLLS_UP)),
    st.integers(0, 1439), st.sampled_from(["cover", "rebalance", "both", "none"]),
)  # fmt: skip


@hypothesis.settings(PROPERTY, max_examples=15)
@given(
    zone=st.sampled_from(ZONES),
    month=st.sampled_from([(2026, 3), (2026, 10), (2026, 2), (2025, 12)]),
    answers=onboarding(),
    steps=st.lists(STEPS, min_size=1, max_size=6),
)
async def test_redistributions_conserve_the_month_and_spare_sacred_days(
    world: World, zone: str, month: tuple[int, int], answers: dict[str, Any],
    steps: list[tuple[int, int, Decimal, str, int, str]],
) -> None:  # fmt: skip
    """Invariants 1 and 4 on the read model, after each real cover and rebalance."""
    user, first = uuid.uuid4(), dt.date(*month, 1)
    last = first.replace(day=calendar.monthrange(*month)[1])
    income = answers["income"]["monthly_income"]
    world.budget.submit_onboarding(user, answers, zone, first)
    await world.feed()

    async def planned() -> dict[Key, Decimal]:
        """(day, category) → planned in the read model now."""
        await world.feed()
        return {key: p for key, (p, _) in (await world.cells(user, first, last)).items()}

    original = await planned()
    today, rebalanced, covered = first, False, False
    for advance, back, amount, category, minute, action in steps:
        today = min(today + dt.timedelta(days=advance), last)
        day = min(max(today - dt.timedelta(days=back), first), last)
        at = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), ZoneInfo(zone))
        tx = world.ledger.record(user_id=user, amount=amount, category=category, spent_at=at)
        await world.feed()
        moves = await cover(world, user, tx.transaction.id, today) if action != "rebalance" else ()
        now = await planned()
        for m in moves:  # a real-time cut leaves ≥ 50 % of the original on its day
            cut = (m.from_date, m.from_category)
            assert m.from_category not in SACRED
            assert now.get(cut, ZERO) >= original.get(cut, ZERO) / 2
        if action in ("rebalance", "both"):
            rebalanced |= bool(await rebalance(world, user, today))
            now = await planned()
        plan = world.budget.month_plan(user, *month)
        assert plan is not None
        assert sum(now.values()) == sum(plan.categories.values()) == income
        laid_out = {(d, c): a for d, row in plan.days.items() for c, a in row.items() if a}
        assert {key: p for key, p in now.items() if p} == laid_out
        for key, amount in original.items():
            assert key[1] not in SACRED or now.get(key, ZERO) >= amount
            assert rebalanced or now.get(key, ZERO) >= amount / 2
        covered |= bool(moves)
    hypothesis.event(f"covered: {covered}, rebalanced: {rebalanced}")


@hypothesis.settings(PROPERTY, max_examples=15)
@given(
    zone=st.sampled_from(ZONES),
    ops=st.lists(operations(), min_size=1, max_size=10),
    rnd=st.randoms(use_true_random=False),
)
async def test_rebuild_equals_incremental_with_reordering_and_duplicates(
    settings: MitaSettings, conn: AsyncConnection[DictRow], zone: str, ops: list[Op],
    rnd: random.Random,
) -> None:  # fmt: skip
    """Invariant 5: a replay from zero equals the live fold fed out of order with duplicates."""
    async with own_world(settings, conn) as world:
        user, pending, delivered = uuid.uuid4(), list[EventEnvelope](), list[EventEnvelope]()
        world.budget.submit_onboarding(user, ANSWERS, zone, dt.date(2026, 3, 1))

        async def deliver(everything: bool = False) -> None:
            """Deliver pending events (each aggregate's in order) with a few redeliveries."""
            pending.extend(await world.fresh())
            queues: dict[tuple[str, uuid.UUID], list[EventEnvelope]] = {}
            for event in pending:
                queues.setdefault((event.service, event.aggregate_id), []).append(event)
            batch = []
            for _ in range(len(pending) if everything else rnd.randint(0, len(pending))):
                batch.append(queues[rnd.choice([k for k, q in queues.items() if q])].pop(0))
            pending[:] = [event for queue in queues.values() for event in queue]
            for old in rnd.sample(delivered, min(len(delivered), rnd.randint(0, 3))):
                batch.insert(rnd.randint(0, len(batch)), old)  # already applied: a no-op
            delivered.extend(batch)
            await apply_batch(world.conn, world.projection, batch)

        await run(world, user, zone, ops, deliver)
        await deliver(everything=True)
        incremental = await snapshot(world)
        for in_database in [False, *([True] if world.projection.replays_in_database else [])]:
            await rebuild(world.conn, world.settings, world.projection, in_database=in_database)
            rebuilt = await snapshot(world)
            assert rebuilt == incremental, {
                t: set(r) ^ set(incremental[t]) for t, r in rebuilt.items()
            }
