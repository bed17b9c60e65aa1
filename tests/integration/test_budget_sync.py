"""A ledger write's budget side: ``/budget/sync`` waits (bounded) and answers the impact;
the policy plans a new month on the first write in it (rollover on write)."""

from __future__ import annotations

import calendar
import datetime as dt
import time
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from psycopg import AsyncConnection
from psycopg.rows import DictRow

from services import catalog
from services.budget.application import BudgetApplication
from services.budget.engine.answers import plan_from_answers
from services.budget.engine.redistribution import redistribute_overspend
from services.budget.main import create_app
from services.budget.process.policy import RedistributionPolicy
from services.budget.read.projections import BudgetDaysProjection
from shared import tokens
from shared.projections import apply_batch, setup_tracking
from shared.settings import MitaSettings
from tests.helpers import ledger_app
from tests.integration.test_budget_api import bearer
from tests.integration.test_budget_days_projection import ANSWERS, envelopes

WAIT = 0.3


class Budget:
    """The budget app over ASGI, its write model and both budget projections, fed by hand."""

    def __init__(self, settings: MitaSettings, conn: AsyncConnection[DictRow]) -> None:
        self.settings = settings
        self.conn = conn
        app = BudgetApplication.for_database(settings.database_url, settings.schema_for("budget"))
        assert isinstance(app, BudgetApplication)
        self.app = app
        self.days = BudgetDaysProjection(settings.schema_for("budget"))
        policy = catalog.PROJECTIONS["budget_redistribution"].build(settings)
        assert isinstance(policy, RedistributionPolicy)
        self.policy = policy
        self.seen = {"budget": 0, "ledger": 0}

    async def setup(self) -> None:
        """Create the tracking and read model tables."""
        for projection in (self.days, self.policy):
            await setup_tracking(self.conn, projection.schema)
            await projection.setup(self.conn)
        await self.conn.commit()

    async def feed_days(self, *services: str) -> None:
        """Apply the new events of ``services`` to the day plans."""
        for service in services:
            events = await envelopes(self.conn, self.settings, service, self.seen[service])
            if events:
                await apply_batch(self.conn, self.days, events)
                self.seen[service] = events[-1].position

    async def feed_policy(self) -> None:
        """Let the policy decide on every ledger event so far."""
        await apply_batch(
            self.conn, self.policy, await envelopes(self.conn, self.settings, "ledger")
        )


@pytest.fixture
async def client(settings: MitaSettings) -> AsyncIterator[httpx.AsyncClient]:
    """The budget service with a short read-your-writes bound."""
    app = create_app(settings.model_copy(update={"read_your_writes_timeout": WAIT}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://budget") as c:
            yield c


async def sync(
    client: httpx.AsyncClient, headers: dict[str, str], position: int, tx: uuid.UUID
) -> tuple[dict[str, Any], float]:
    """GET /budget/sync; its data (amounts as Decimal) and how long it took."""
    started = time.monotonic()
    answer = await client.get(
        "/budget/sync",
        params={"position": position, "transaction_id": str(tx)},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json(parse_float=Decimal)["data"]
    return data, time.monotonic() - started


async def test_sync_waits_for_the_budget_side_and_answers_the_impact(
    settings: MitaSettings, conn: AsyncConnection[DictRow], client: httpx.AsyncClient
) -> None:
    """Lagging: bounded and neutral; day plans only: exceeded; policy + cover: rebalanced."""
    budget = Budget(settings, conn)
    await budget.setup()
    ledger = ledger_app(settings)
    user = uuid.uuid4()
    me = bearer(settings, user, tokens.USER_SCOPES)
    today = dt.datetime.now(dt.UTC).date()
    budget.app.submit_onboarding(user, ANSWERS, "UTC", today)
    plan = budget.app.month_plan(user, today.year, today.month)
    assert plan is not None
    food_today = plan.days.get(today, {}).get("food", Decimal(0))
    tx, position = ledger.record_transaction(
        user_id=user, amount=food_today + Decimal("40.00"), category="groceries"
    )

    data, took = await sync(client, me, position, tx)
    assert data == {"caught_up": False, "impact": None}  # nothing has seen the write yet
    assert took >= WAIT

    await budget.feed_days("budget", "ledger")
    data, _ = await sync(client, me, position, tx)
    assert data["caught_up"] is False  # the policy has not decided yet
    assert data["impact"] == {
        "day": today.isoformat(),
        "plan_category": "food",
        "remaining_budget": Decimal(0),
        "budget_exceeded": True,
        "rebalanced": False,
        "rebalance_covered": Decimal(0),
        "rebalance_fully_covered": False,
    }

    await budget.feed_policy()
    last_day = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    if today < last_day:
        # The cover is stored but the day plans do not hold it yet: not caught up.
        data, took = await sync(client, me, position, tx)
        assert (data["caught_up"], data["impact"]["rebalanced"]) == (False, False)
        assert took >= WAIT
    await budget.feed_days("budget")
    data, _ = await sync(client, me, position, tx)
    assert data["caught_up"] is True
    impact = data["impact"]
    # What the engine covers depends on how many future days are left this month.
    expected = redistribute_overspend(
        plan.days,
        plan.original,
        day=today,
        category="food",
        spent=food_today + Decimal("40.00"),
        today=today,
    )
    assert impact["rebalanced"] is (today < last_day)
    assert impact["rebalance_covered"] == expected.covered
    assert impact["rebalance_fully_covered"] is (expected.covered == Decimal("40.00"))
    assert impact["remaining_budget"] == 0
    assert impact["budget_exceeded"] is (expected.covered < Decimal("40.00"))

    # Another user learns nothing of the transaction; bad parameters are a 422.
    stranger = bearer(settings, uuid.uuid4(), tokens.USER_SCOPES)
    assert (await sync(client, stranger, position, tx))[0]["impact"] is None
    bad: list[dict[str, str | int]] = [
        {"position": -1},
        {"position": 1, "transaction_id": "x"},
        {"position": 1, "service": "auth"},
    ]
    for params in bad:
        answer = await client.get("/budget/sync", params=params, headers=me)
        assert answer.status_code == 422, answer.text
    assert (await client.get("/budget/sync", params={"position": 1})).status_code == 401


async def test_without_a_plan_nothing_is_known_of_the_budget(
    settings: MitaSettings, conn: AsyncConnection[DictRow], client: httpx.AsyncClient
) -> None:
    """A user who never onboarded: the transaction counts, no remaining budget, not exceeded."""
    budget = Budget(settings, conn)
    await budget.setup()
    user = uuid.uuid4()
    tx, position = ledger_app(settings).record_transaction(
        user_id=user, amount=Decimal("12.50"), category="food"
    )
    await budget.feed_days("ledger")
    await budget.feed_policy()
    data, _ = await sync(client, bearer(settings, user, tokens.USER_SCOPES), position, tx)
    assert data["caught_up"] is True
    assert data["impact"]["remaining_budget"] is None
    assert data["impact"]["budget_exceeded"] is False
    assert budget.app.profile(user) is None  # and no plan was made for them


async def test_the_first_write_in_a_new_month_plans_it(
    settings: MitaSettings, conn: AsyncConnection[DictRow]
) -> None:
    """Onboarded two months ago, nothing read since: a ledger write rolls this month over."""
    budget = Budget(settings, conn)
    await budget.setup()
    user = uuid.uuid4()
    now = dt.datetime.now(dt.UTC).date()
    earlier = (now.replace(day=1) - dt.timedelta(days=40)).replace(day=15)
    budget.app.submit_onboarding(user, ANSWERS, "UTC", earlier)
    assert budget.app.month_plan(user, now.year, now.month) is None
    assert not budget.app.has_month(user, now.year, now.month)

    ledger_app(settings).record_transaction(user_id=user, amount=Decimal("3.00"), category="food")
    await budget.feed_days("budget", "ledger")
    await budget.feed_policy()

    plan = budget.app.month_plan(user, now.year, now.month)
    assert plan is not None
    assert plan.categories == dict(plan_from_answers(ANSWERS).categories)
    await budget.feed_days("budget")
    cur = await conn.execute(
        f'SELECT sum(planned) AS planned, sum(spent) AS spent FROM "{budget.days.schema}".'
        "budget_days WHERE user_id = %s AND day >= %s",
        (user, now.replace(day=1)),
    )
    row = await cur.fetchone()
    await conn.commit()
    assert row is not None
    assert row["planned"] == sum(plan.categories.values(), Decimal(0))
    assert row["spent"] == Decimal("3.00")
    # The policy saw the write once: a redelivery plans nothing more.
    head = budget.app.head_position()
    await budget.feed_policy()
    assert budget.app.head_position() == head
