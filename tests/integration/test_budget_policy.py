"""Real-time redistribution policy on Postgres: a ledger overspend moves future money, once."""

from __future__ import annotations

import calendar
import datetime as dt
import uuid
from decimal import Decimal

import pytest
from psycopg import AsyncConnection
from psycopg.rows import DictRow

from services import catalog
from services.budget.application import BudgetApplication
from services.budget.process.policy import RedistributionPolicy
from services.budget.read.projections import BudgetDaysProjection
from services.ledger.application import LedgerApplication
from shared.projections import apply_batch, setup_tracking
from shared.rebuild import rebuild
from shared.settings import MitaSettings
from tests.helpers import ledger_app
from tests.integration.test_budget_days_projection import ANSWERS, envelopes

REDISTRIBUTED = "budget.BudgetRedistributed"


async def stores_and_policy(
    settings: MitaSettings, conn: AsyncConnection[DictRow]
) -> tuple[BudgetApplication, LedgerApplication, BudgetDaysProjection, RedistributionPolicy]:
    """Both write models, the day plans and the policy, their tables created."""
    budget = BudgetApplication.for_database(settings.database_url, settings.schema_for("budget"))
    assert isinstance(budget, BudgetApplication)
    days = BudgetDaysProjection(settings.schema_for("budget"))
    policy = catalog.PROJECTIONS["budget_redistribution"].build(settings)
    assert isinstance(policy, RedistributionPolicy)
    for projection in (days, policy):
        await setup_tracking(conn, projection.schema)
        await projection.setup(conn)
    await conn.commit()
    return budget, ledger_app(settings), days, policy


async def test_overspend_is_covered_once_and_conserves_the_month(
    settings: MitaSettings, conn: AsyncConnection[DictRow]
) -> None:
    """Spending far above today's food plan triggers one cover; redelivery adds nothing."""
    budget, ledger, days, policy = await stores_and_policy(settings, conn)

    user = uuid.uuid4()
    today = dt.datetime.now(dt.UTC).date()
    budget.submit_onboarding(user, ANSWERS, "UTC", today)
    plan = budget.month_plan(user, today.year, today.month)
    assert plan is not None
    month_total = sum(sum(c.values(), Decimal(0)) for c in plan.days.values())
    food_today = plan.days.get(today, {}).get("food", Decimal(0))
    ledger.record(
        user_id=user,
        amount=food_today + Decimal("40.00"),
        category="groceries",
        spent_at=dt.datetime.now(dt.UTC),
    )
    ledger_events = await envelopes(conn, settings, "ledger")
    await apply_batch(conn, days, ledger_events + await envelopes(conn, settings, "budget"))
    head = budget.head_position()
    assert await apply_batch(conn, policy, ledger_events) == len(ledger_events)

    covers = [e for e in await envelopes(conn, settings, "budget", head) if e.type == REDISTRIBUTED]
    last_day = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    if today >= last_day:  # no future days left to give: nothing to move
        assert covers == []
        return
    assert len(covers) == 1
    cover = covers[0].payload
    assert Decimal(str(cover["covered"])) > 0
    assert all(m["to_category"] == "food" and m["to_date"] == today.isoformat()
               for m in cover["moves"])  # fmt: skip
    assert all(m["from_category"] not in ("housing", "savings") for m in cover["moves"])

    # Redelivery is tracked, and even a forced second decision is refused by the aggregate.
    assert await apply_batch(conn, policy, ledger_events) == 0
    await policy.apply(conn, ledger_events[-1])
    again = [e for e in await envelopes(conn, settings, "budget", head) if e.type == REDISTRIBUTED]
    assert len(again) == 1
    plan = budget.month_plan(user, today.year, today.month)
    assert plan is not None
    assert sum(sum(c.values(), Decimal(0)) for c in plan.days.values()) == month_total


async def test_a_policy_is_never_rebuilt(
    settings: MitaSettings, conn: AsyncConnection[DictRow]
) -> None:
    """Replaying a policy would decide again on old events: rebuild refuses."""
    policy = catalog.PROJECTIONS["budget_redistribution"].build(settings)
    with pytest.raises(ValueError, match="policy"):
        await rebuild(conn, settings, policy)


async def test_an_amendment_that_overspends_is_covered_too(
    settings: MitaSettings, conn: AsyncConnection[DictRow]
) -> None:
    """Each triggering event covers once: the record, then an amendment raising the amount;
    an amendment of the description alone decides nothing."""
    budget, ledger, days, policy = await stores_and_policy(settings, conn)
    user = uuid.uuid4()
    today = dt.datetime.now(dt.UTC).date()
    budget.submit_onboarding(user, ANSWERS, "UTC", today)
    plan = budget.month_plan(user, today.year, today.month)
    assert plan is not None
    food = plan.days.get(today, {}).get("food", Decimal(0))
    seen = {"budget": 0, "ledger": 0}

    async def settle() -> None:
        """As live: the day plans take every new event, then the policy decides on the new
        ledger events (twice: a redelivery changes nothing), then the day plans take covers."""
        fresh = {s: await envelopes(conn, settings, s, seen[s]) for s in ("budget", "ledger")}
        await apply_batch(conn, days, fresh["budget"] + fresh["ledger"])
        for _ in range(2):
            await apply_batch(conn, policy, fresh["ledger"])
        covers = await envelopes(conn, settings, "budget", budget.head_position() - 1)
        await apply_batch(conn, days, covers)
        seen.update(budget=budget.head_position(), ledger=ledger.head_position())

    tx, _ = ledger.record_transaction(user_id=user, amount=food + 4, category="food")
    await settle()
    ledger.amend_transaction(tx, user_id=user, description="lunch with the team")
    await settle()
    ledger.amend_transaction(tx, user_id=user, amount=food + 7)
    await settle()
    covers = [
        e.payload for e in await envelopes(conn, settings, "budget") if e.type == REDISTRIBUTED
    ]
    if today.day == calendar.monthrange(today.year, today.month)[1]:
        assert covers == []  # no future days left to give
        return
    assert [(c["trigger_transaction_id"], c["trigger_version"]) for c in covers] == [
        (str(tx), 1),
        (str(tx), 3),
    ]
    first, second = (Decimal(str(c["covered"])) for c in covers)
    # Near the month's end few future days can give: a cover may be partial.
    for cover, overspend in ((covers[0], Decimal(4)), (covers[1], Decimal(7) - first)):
        covered = Decimal(str(cover["covered"]))
        assert covered == overspend if cover["fully_covered"] else 0 < covered < overspend
    assert first + second <= 7


async def test_a_pace_past_the_plan_is_said_once_a_month(
    settings: MitaSettings, conn: AsyncConnection[DictRow]
) -> None:
    """A spend that puts the month's pace 10 % past its plan raises ForecastDangerRaised; a
    second one that month raises nothing more; a modest spend raises nothing."""
    budget, ledger, days, policy = await stores_and_policy(settings, conn)
    calm, lavish = uuid.uuid4(), uuid.uuid4()
    today = dt.datetime.now(dt.UTC).date()
    for user in (calm, lavish):
        budget.submit_onboarding(user, ANSWERS, "UTC", today)
    now = dt.datetime.now(dt.UTC)
    ledger.record(user_id=calm, amount=Decimal("1.00"), category="coffee", spent_at=now)
    for amount in ("50000.00", "60000.00"):
        ledger.record(user_id=lavish, amount=Decimal(amount), category="shopping", spent_at=now)
    ledger_events = await envelopes(conn, settings, "ledger")
    await apply_batch(conn, days, ledger_events + await envelopes(conn, settings, "budget"))
    head = budget.head_position()
    await apply_batch(conn, policy, ledger_events)
    await policy.apply(conn, ledger_events[-1])  # a forced second decision says nothing new
    raised = [e for e in await envelopes(conn, settings, "budget", head)
              if e.type == "budget.ForecastDangerRaised"]  # fmt: skip
    assert [e.payload["user_id"] for e in raised] == [str(lavish)]
    assert Decimal(str(raised[0].payload["projected_spend"])) > Decimal(
        str(raised[0].payload["planned"])
    )


async def test_a_day_that_turns_red_is_said_once(
    settings: MitaSettings, conn: AsyncConnection[DictRow]
) -> None:
    """A spend far past the whole day's plan (more than any cover can give) turns the day red:
    DayTurnedRed once, with the day's plan as the budget now holds it; a second spend that day
    says nothing more; a spend within the plan says nothing."""
    budget, ledger, days, policy = await stores_and_policy(settings, conn)
    calm, lavish = uuid.uuid4(), uuid.uuid4()
    today = dt.datetime.now(dt.UTC).date()
    for user in (calm, lavish):
        budget.submit_onboarding(user, ANSWERS, "UTC", today)
    now = dt.datetime.now(dt.UTC)
    ledger.record(user_id=calm, amount=Decimal("0.50"), category="coffee", spent_at=now)
    for amount in ("5000.00", "10.00"):
        ledger.record(user_id=lavish, amount=Decimal(amount), category="shopping", spent_at=now)
    ledger_events = await envelopes(conn, settings, "ledger")
    await apply_batch(conn, days, ledger_events + await envelopes(conn, settings, "budget"))
    head = budget.head_position()
    await apply_batch(conn, policy, ledger_events)
    red = [e for e in await envelopes(conn, settings, "budget", head)
           if e.type == "budget.DayTurnedRed"]  # fmt: skip
    assert [e.payload["user_id"] for e in red] == [str(lavish)]
    assert red[0].payload["day"] == today.isoformat()
    assert Decimal(str(red[0].payload["spent"])) >= Decimal("5000.00")  # as read when decided
    plan = budget.month_plan(lavish, today.year, today.month)
    assert plan is not None
    assert Decimal(str(red[0].payload["planned"])) == sum(plan.days[today].values(), Decimal(0))
