"""Budget domain and use cases on the in-memory store: onboarding, re-onboarding, rollover,
month rebalance and real-time cover."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent

from services.budget.application import BudgetApplication
from services.budget.domain import BudgetPlan, plan_id, profile_id
from services.budget.engine.answers import plan_from_answers
from services.budget.engine.daily import month_totals
from services.budget.engine.plan import FixedExceedsIncome
from shared.envelope import registry
from shared.store import to_envelope

TODAY = dt.date(2024, 3, 10)
ANSWERS: dict[str, Any] = {
    "income": {"monthly_income": "3000.00"},
    "fixed_expenses": {"rent": "1000.00", "phone": "40.00"},
    "spending_habits": {"entertainment_per_month": 3, "travel_per_year": 0},
    "goals": {"savings_goal_amount_per_month": "500.00"},
}


def test_onboarding_plans_this_month_and_the_next() -> None:
    """Both months are planned; each day-layout sums to the monthly plan exactly."""
    app = BudgetApplication()
    user = uuid.uuid4()
    done = app.submit_onboarding(user, ANSWERS, "Europe/Sofia", TODAY)
    assert done.position == app.head_position() > 0
    assert done.plan.total_income == Decimal("3000.00")
    for year, month in ((2024, 3), (2024, 4)):
        plan = app.month_plan(user, year, month)
        assert plan is not None
        assert plan.id == plan_id(user, year, month)
        assert month_totals(plan.days) == {k: v for k, v in plan.categories.items() if v}
        assert plan.timezone == "Europe/Sofia"
    assert done.plan.categories["travel"] == 0
    profile = app.profile(user)
    assert profile is not None
    assert profile.id == profile_id(user)
    assert profile.answers == ANSWERS


def test_reonboarding_keeps_past_days() -> None:
    """Re-onboarding replaces the plan from today on; earlier days keep their amounts."""
    app = BudgetApplication()
    user = uuid.uuid4()
    app.submit_onboarding(user, ANSWERS, "UTC", dt.date(2024, 3, 1))
    before = app.month_plan(user, 2024, 3)
    assert before is not None
    richer = {**ANSWERS, "income": {"monthly_income": "6000.00"}}
    app.submit_onboarding(user, richer, "UTC", TODAY)
    after = app.month_plan(user, 2024, 3)
    assert after is not None
    for day in before.days:
        if day < TODAY:
            assert after.days[day] == before.days[day]
    assert after.days[dt.date(2024, 3, 20)]["food"] > before.days[dt.date(2024, 3, 20)]["food"]
    april = app.month_plan(user, 2024, 4)
    assert april is not None
    assert april.categories == dict(plan_from_answers(richer).categories)


def test_fixed_above_income_is_refused() -> None:
    """Nothing is stored when fixed expenses exceed the income."""
    app = BudgetApplication()
    answers = {"income": {"monthly_income": "100"}, "fixed_expenses": {"rent": "200"}}
    with pytest.raises(FixedExceedsIncome):
        app.submit_onboarding(uuid.uuid4(), answers, "UTC", TODAY)
    assert app.head_position() == 0


def test_rollover_plans_a_missing_month_once() -> None:
    """ensure_month plans from the latest answers, once; without a profile it does nothing."""
    app = BudgetApplication()
    user = uuid.uuid4()
    assert app.ensure_month(user, 2024, 5) == 0
    app.submit_onboarding(user, ANSWERS, "UTC", TODAY)
    assert app.ensure_month(user, 2024, 4) == 0  # already planned
    position = app.ensure_month(user, 2024, 5)
    assert position == app.head_position()
    may = app.month_plan(user, 2024, 5)
    assert may is not None
    assert sum(may.categories.values()) == Decimal("3000.00")
    assert app.ensure_month(user, 2024, 5) == 0


def test_month_rebalance_conserves_the_total() -> None:
    """Past food overspend is funded by past entertainment surplus, on future days."""
    app = BudgetApplication()
    user = uuid.uuid4()
    app.submit_onboarding(user, ANSWERS, "UTC", dt.date(2024, 3, 1))
    plan = app.month_plan(user, 2024, 3)
    assert plan is not None
    total = sum(month_totals(plan.days).values())
    spent = {dt.date(2024, 3, 2): {"food": Decimal("300.00")}}
    moved = app.redistribute(user, TODAY, spent)
    assert moved.moves
    assert moved.total > 0
    assert moved.position == app.head_position()
    after = app.month_plan(user, 2024, 3)
    assert after is not None
    assert sum(month_totals(after.days).values()) == total
    assert all(m.to_category == "food" and m.to_date > TODAY for m in moved.moves)
    assert app.redistribute(uuid.uuid4(), TODAY, spent).position == 0  # no plan


def test_real_time_cover_is_recorded_once_per_triggering_event() -> None:
    """An overspent day-category is covered; the same event never moves money twice."""
    app = BudgetApplication()
    user = uuid.uuid4()
    app.submit_onboarding(user, ANSWERS, "UTC", dt.date(2024, 3, 1))
    tx = uuid.uuid4()
    first = app.cover_overspend(
        user, tx, day=TODAY, category="food", spent=Decimal("80.00"), today=TODAY
    )
    assert first.moves
    assert first.position > 0
    again = app.cover_overspend(
        user, tx, day=TODAY, category="food", spent=Decimal("80.00"), today=TODAY
    )
    assert again.position == 0
    plan = app.month_plan(user, 2024, 3)
    assert plan is not None
    assert plan.days[TODAY]["food"] >= Decimal("80.00") - first.total
    # An amendment is another triggering event: its further overspend is covered, once.
    food = plan.days[TODAY]["food"]
    amended = app.cover_overspend(
        user, tx, day=TODAY, category="food", spent=food + 5, today=TODAY, version=2
    )
    assert amended.total == Decimal("5.00")
    assert (
        app.cover_overspend(
            user, tx, day=TODAY, category="food", spent=food + 5, today=TODAY, version=2
        ).position
        == 0
    )
    plan = app.month_plan(user, 2024, 3)
    assert plan is not None
    assert plan.triggers == {(tx, 1), (tx, 2)}
    assert plan.covers(tx)
    assert not plan.covers(uuid.uuid4())


def as_written_before(stored: StoredEvent, *added: str) -> StoredEvent:
    """The stored event as a version without the ``added`` fields wrote it."""
    state = json.loads(stored.state)
    for key in added:
        state.pop(key)
    return StoredEvent(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=json.dumps(state).encode(),
    )


def test_a_v1_cover_is_upcast_to_the_recording_it_followed() -> None:
    """Covers stored before trigger_version existed were covers of the transaction's record."""
    app = BudgetApplication()
    user, tx = uuid.uuid4(), uuid.uuid4()
    app.submit_onboarding(user, ANSWERS, "UTC", dt.date(2024, 3, 1))
    app.cover_overspend(user, tx, day=TODAY, category="food", spent=Decimal("80"), today=TODAY)
    (stored,) = [
        n
        for n in app.recorder.select_notifications(start=1, limit=100)
        if n.topic.endswith("BudgetRedistributed")
    ]
    state = json.loads(stored.state)
    assert (state["class_version"], state["trigger_version"], state["notify"]) == (3, 1, True)
    old = as_written_before(stored, "class_version", "trigger_version", "notify")
    event = app.mapper.to_domain_event(old)
    assert isinstance(event, BudgetPlan.BudgetRedistributed)
    assert (event.trigger_transaction_id, event.trigger_version) == (tx, 1)
    assert event.notify is True  # before the setting existed every cover was announced
    envelope = to_envelope("budget", 9, old)
    assert (envelope.schema_version, envelope.payload["trigger_version"]) == (3, 1)


def test_events_have_public_names_and_envelopes() -> None:
    """Every budget event has its public name and publishes with the user id."""
    app = BudgetApplication()
    user = uuid.uuid4()
    app.submit_onboarding(user, ANSWERS, "Europe/Sofia", TODAY)
    names = {e.name for e in registry.all() if e.service == "budget"}
    assert {"budget.BudgetPlanned", "budget.OnboardingSubmitted", "budget.MonthRebalanced"} <= names
    stored = app.recorder.select_notifications(start=1, limit=100)
    envelopes = [to_envelope("budget", n.id, n) for n in stored]
    types = [e.type for e in envelopes]
    assert types.count("budget.BudgetPlanned") == 2
    assert all(e.user_id == user for e in envelopes)
    planned = next(e for e in envelopes if e.type == "budget.BudgetPlanned")
    assert planned.payload["days"]["2024-03-01"]["housing"] == "1000.00"
    assert isinstance(BudgetPlan.open(user, 2024, 1), BudgetPlan)
