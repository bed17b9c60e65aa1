"""Active goals' monthly contributions reserved as savings: the profile follows goal events
exactly once, and the plan of this month (from today) and the next one changes with them."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest

from services.budget.application import BudgetApplication
from services.budget.engine.answers import plan_from_answers
from services.budget.engine.daily import carry_savings, month_totals
from services.budget.engine.plan import PlanError, build_plan
from services.budget.process.commitments import ACTIVE_AFTER, contribution
from shared.envelope import EventEnvelope

NOW = dt.datetime(2024, 3, 10, 12, tzinfo=dt.UTC)
TODAY = NOW.date()
ANSWERS: dict[str, Any] = {
    "income": {"monthly_income": "3000.00"},
    "fixed_expenses": {"rent": "1000.00"},
    "goals": {"savings_goal_amount_per_month": "500.00"},
}


def follow(
    app: BudgetApplication,
    user: uuid.UUID,
    goal: uuid.UUID,
    version: int,
    *,
    amount: str | None = None,
    active: bool | None = None,
    today: dt.date = TODAY,
) -> int:
    """Follow one goal event at ``version``."""
    return app.follow_goal(
        user,
        goal,
        version=version,
        today=today,
        timezone="UTC",
        now=NOW,
        amount=None if amount is None else Decimal(amount),
        active=active,
    )


def test_reserve_comes_on_top_of_the_savings_as_long_as_it_fits() -> None:
    base = build_plan("3000.00", fixed_expenses={"rent": "1000.00"}, savings_goal="500.00")
    more = build_plan(
        "3000.00", fixed_expenses={"rent": "1000.00"}, savings_goal="500.00", reserved=Decimal(150)
    )
    assert base.savings_goal == Decimal("600.00")  # 20 % of 3000 beats the 500 goal
    assert more.savings_goal == Decimal("750.00")
    assert more.discretionary_total == base.discretionary_total - Decimal("150.00")
    huge = build_plan("3000.00", fixed_expenses={"rent": "1000.00"}, reserved=Decimal(5000))
    assert huge.savings_goal == Decimal("1500.00")  # income − needs: the wants are all reserved
    assert huge.discretionary_total == Decimal("500.00")  # flexible needs are never touched
    with pytest.raises(PlanError):
        build_plan("3000.00", reserved=Decimal(-1))


def test_carry_savings_sets_the_missing_reserve_aside_today() -> None:
    days = {dt.date(2024, 3, 1): {"savings": Decimal("600.00")}, TODAY: {"food": Decimal("10")}}
    carried = carry_savings(days, Decimal("750.00"), TODAY)
    assert carried[TODAY] == {"food": Decimal("10"), "savings": Decimal("150.00")}
    assert carry_savings(days, Decimal("500.00"), TODAY) == days  # never taken back
    assert carry_savings(days, Decimal("750.00"), dt.date(2024, 4, 1)) == days


def test_a_goal_replans_this_month_from_today_and_the_next_in_full() -> None:
    app = BudgetApplication()
    user, goal = uuid.uuid4(), uuid.uuid4()
    app.submit_onboarding(user, ANSWERS, "UTC", dt.date(2024, 3, 1))
    march, april = app.month_plan(user, 2024, 3), app.month_plan(user, 2024, 4)
    assert march is not None
    assert april is not None
    assert follow(app, user, goal, 1, amount="150.00", active=True) > 0
    profile = app.profile(user)
    assert profile is not None
    assert profile.goal_reserve == Decimal("150.00")
    new_march, new_april = app.month_plan(user, 2024, 3), app.month_plan(user, 2024, 4)
    assert new_march is not None
    assert new_april is not None
    assert new_april.categories == dict(
        plan_from_answers(ANSWERS, reserved=Decimal("150.00")).categories
    )
    assert month_totals(new_april.days)["savings"] == Decimal("750.00")
    assert new_april.days[dt.date(2024, 4, 1)]["savings"] == Decimal("750.00")
    for day, amounts in march.days.items():
        if day < TODAY:
            assert new_march.days[day] == amounts  # the past keeps its plan
    assert new_march.days[TODAY]["savings"] == Decimal("150.00")
    later = dt.date(2024, 3, 20)
    assert new_march.days[later]["food"] == march.days[later]["food"]  # needs untouched
    assert sum(new_march.days[later].values()) < sum(march.days[later].values())


def test_goal_events_are_followed_once_and_in_order() -> None:
    app = BudgetApplication()
    user, goal, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    app.submit_onboarding(user, ANSWERS, "UTC", TODAY)
    assert follow(app, user, goal, 1, amount="100.00", active=True) > 0
    assert follow(app, user, goal, 1, amount="100.00", active=True) == 0  # redelivered
    assert follow(app, user, other, 2, amount="0.00") == 0  # an update of an unseen goal
    assert follow(app, user, other, 1, amount="0.00", active=True) > 0  # held, reserves 0
    assert follow(app, user, goal, 2, active=False) > 0  # paused
    profile = app.profile(user)
    assert profile is not None
    assert profile.goal_reserve == Decimal("0.00")
    assert follow(app, user, goal, 3, active=False) == 0  # nothing moves: nothing stored
    assert follow(app, user, goal, 4, active=True) > 0  # resumed
    assert follow(app, user, goal, 5, amount="80.00") > 0  # contribution edited
    assert follow(app, user, goal, 4, amount="999.00") == 0  # older than what was followed
    profile = app.profile(user)
    assert profile is not None
    assert profile.goal_reserve == Decimal("80.00")
    april = app.month_plan(user, 2024, 4)
    assert april is not None
    assert month_totals(april.days)["savings"] == Decimal("680.00")


def test_before_onboarding_the_reserve_waits_for_the_plan() -> None:
    app = BudgetApplication()
    user, goal = uuid.uuid4(), uuid.uuid4()
    assert follow(app, user, goal, 1, amount="200.00", active=True) > 0
    assert app.month_plan(user, 2024, 3) is None
    done = app.submit_onboarding(user, ANSWERS, "UTC", TODAY)
    assert done.plan.savings_goal == Decimal("800.00")
    assert app.ensure_month(user, 2024, 5) > 0
    may = app.month_plan(user, 2024, 5)
    assert may is not None
    assert may.categories["savings"] == Decimal("800.00")


def _event(kind: str, payload: dict[str, Any]) -> EventEnvelope:
    return EventEnvelope(
        event_id=uuid.uuid4(),
        type=kind,
        schema_version=1,
        service="ledger",
        aggregate_id=uuid.uuid4(),
        aggregate_version=1,
        occurred_at=NOW,
        position=1,
        payload=payload,
    )


def test_the_policy_reads_the_contribution_and_status_of_each_goal_event() -> None:
    assert contribution(_event("ledger.GoalCreated", {"monthly_contribution": "25.50"})) == (
        Decimal("25.50")
    )
    assert contribution(_event("ledger.GoalUpdated", {"monthly_contribution": None})) == 0
    assert contribution(_event("ledger.GoalPaused", {})) is None
    assert ACTIVE_AFTER["ledger.GoalCompleted"] is False
    assert ACTIVE_AFTER["ledger.GoalResumed"] is True
    assert ACTIVE_AFTER["ledger.GoalUpdated"] is None


def terms(**over: Any) -> dict[str, Any]:
    """An installment's schedule as the policy passes it: 4 × 100 + 50, monthly on the 20th."""
    return {
        "first_payment_date": "2024-03-20", "payment_frequency": "monthly",
        "total_amount": "350.00", "payment_amount": "100.00", "total_payments": 4,
        "payments_made": 0, "status": "active",
    } | over  # fmt: skip


def installment(app: BudgetApplication, user: uuid.UUID, plan_id: uuid.UUID, version: int,
                **facts: Any) -> int:  # fmt: skip
    """Follow one installment event at ``version``."""
    return app.follow_installment(user, plan_id, version=version, today=TODAY, timezone="UTC",
                                  now=NOW, **facts)  # fmt: skip


def test_installment_payments_are_fixed_on_their_due_days() -> None:
    app = BudgetApplication()
    user, plan_id = uuid.uuid4(), uuid.uuid4()
    app.submit_onboarding(user, ANSWERS, "UTC", dt.date(2024, 3, 1))
    before = app.month_plan(user, 2024, 4)
    assert before is not None
    assert installment(app, user, plan_id, 1, terms=terms()) > 0
    march, april = app.month_plan(user, 2024, 3), app.month_plan(user, 2024, 4)
    assert march is not None
    assert april is not None
    assert march.days[dt.date(2024, 3, 20)]["installments"] == Decimal("100.00")
    assert april.days[dt.date(2024, 4, 20)]["installments"] == Decimal("100.00")
    assert april.categories["installments"] == Decimal("100.00")
    assert sum(april.categories.values()) == sum(before.categories.values())  # income conserved
    discretionary = ("food", "transportation", "healthcare", "entertainment", "shopping",
                     "travel", "education", "other")  # fmt: skip
    assert sum(april.categories[c] for c in discretionary) == (
        sum(before.categories[c] for c in discretionary) - Decimal("100.00")
    )
    assert month_totals(april.days) == {k: v for k, v in april.categories.items() if v}
    # Paid ahead: April's payment is no longer due there; cancelled: nothing is.
    assert installment(app, user, plan_id, 2, changes={"payments_made": 2}) > 0
    april = app.month_plan(user, 2024, 4)
    assert april is not None
    assert "installments" not in april.categories or april.categories["installments"] == 0
    assert installment(app, user, plan_id, 2, changes={"payments_made": 3}) == 0  # old version
    assert installment(app, user, plan_id, 3, changes={"payments_made": 0}) > 0
    assert installment(app, user, plan_id, 4, changes={"status": "cancelled",
                                                       "payments_made": 0}) > 0  # fmt: skip
    april = app.month_plan(user, 2024, 4)
    assert april is not None
    assert april.categories == before.categories
    assert installment(app, user, plan_id, 5) == 0  # deleted after cancelled: nothing moves
    assert installment(app, user, uuid.uuid4(), 2, changes={"payments_made": 1}) == 0  # unseen


def test_the_last_payment_settles_and_a_capped_line_covers_the_earliest() -> None:
    profile_terms = terms(first_payment_date="2024-01-31", total_payments=3,
                          total_amount="250.00")  # fmt: skip
    app = BudgetApplication()
    user = uuid.uuid4()
    app.submit_onboarding(user, ANSWERS, "UTC", dt.date(2024, 3, 1))
    installment(app, user, uuid.uuid4(), 1, terms=profile_terms)
    march = app.month_plan(user, 2024, 3)
    assert march is not None
    assert march.days[dt.date(2024, 3, 31)]["installments"] == Decimal("50.00")  # settles
    big = terms(first_payment_date="2024-04-02", payment_amount="1500.00",
                total_amount="3500.00", total_payments=2)  # fmt: skip
    installment(app, user, uuid.uuid4(), 1, terms=big)
    installment(app, user, uuid.uuid4(), 1, terms=big | {"first_payment_date": "2024-04-09"})
    april = app.month_plan(user, 2024, 4)
    assert april is not None
    # 3000 of payments but 3000 − 1000 rent leaves 2000: the earliest payment whole, then 500.
    assert april.categories["installments"] == Decimal("2000.00")
    assert april.days[dt.date(2024, 4, 2)]["installments"] == Decimal("1500.00")
    assert april.days[dt.date(2024, 4, 9)]["installments"] == Decimal("500.00")
    assert month_totals(april.days) == {k: v for k, v in april.categories.items() if v}
