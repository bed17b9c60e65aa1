"""Budget modes, automation switches and auto-adaptation as use cases (in-memory store)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal

import pytest

from services.budget.application import BudgetApplication
from services.budget.domain import AUTOMATION_DEFAULTS, BudgetPlan
from services.budget.engine.plan import PlanError
from shared.store import to_envelope
from tests.unit.test_budget_application import ANSWERS, TODAY, as_written_before

NOW = dt.datetime(2024, 3, 10, 12, tzinfo=dt.UTC)


def topics(app: BudgetApplication) -> list[str]:
    """Every stored event's name, in order."""
    return [
        to_envelope("budget", n.id, n).type
        for n in app.recorder.select_notifications(start=1, limit=1000)
    ]


def test_a_mode_chosen_before_onboarding_waits_for_the_answers() -> None:
    app, user = BudgetApplication(), uuid.uuid4()
    done = app.choose_mode(user, "goal", None, TODAY, NOW)
    assert (done.mode, done.replanned) == ("goal", False)
    assert done.position > 0
    assert app.ensure_month(user, 2024, 3) == 0  # nothing to plan from yet
    onboarded = app.submit_onboarding(user, ANSWERS, "UTC", TODAY)
    assert onboarded.plan.method == "50/20/30"  # the chosen mode applies to the first plan


def test_changing_mode_re_lays_out_from_today_and_next_month() -> None:
    app, user = BudgetApplication(), uuid.uuid4()
    app.submit_onboarding(user, ANSWERS, "UTC", TODAY)
    march = app.month_plan(user, 2024, 3)
    assert march is not None
    past = {d: dict(row) for d, row in march.days.items() if d < TODAY}
    done = app.choose_mode(user, "flexible", None, TODAY, NOW)
    assert (done.mode, done.replanned) == ("flexible", True)
    march = app.month_plan(user, 2024, 3)
    april = app.month_plan(user, 2024, 4)
    assert march is not None
    assert april is not None
    assert {d: row for d, row in march.days.items() if d < TODAY} == past  # history stays
    assert all("entertainment" in row for d, row in april.days.items())
    planned = [
        to_envelope("budget", n.id, n)
        for n in app.recorder.select_notifications(start=1, limit=100)
        if n.topic.endswith("BudgetPlanned")
    ]
    assert [(e.payload["reason"], e.payload["mode"]) for e in planned[-2:]] == [
        ("mode", "flexible"),
        ("mode", "flexible"),
    ]
    again = app.choose_mode(user, "flexible", None, TODAY, NOW)
    assert (again.replanned, again.position) == (False, 0)
    with pytest.raises(PlanError):
        app.choose_mode(user, "chaotic", None, TODAY, NOW)


def test_behavioral_mode_uses_the_learned_weights() -> None:
    app, user = BudgetApplication(), uuid.uuid4()
    answers = {**ANSWERS, "spending_habits": {"entertainment_per_month": 3}}
    app.submit_onboarding(user, answers, "UTC", TODAY)
    default = app.month_plan(user, 2024, 4)
    assert default is not None
    weights = {
        "entertainment": Decimal(5), "shopping": Decimal(80), "travel": Decimal(5),
        "education": Decimal(5), "other": Decimal(5),
    }  # fmt: skip
    app.choose_mode(user, "behavioral", weights, TODAY, NOW)
    learned = app.month_plan(user, 2024, 4)
    assert learned is not None
    assert learned.categories["shopping"] > default.categories["shopping"]
    assert sum(learned.categories.values()) == sum(default.categories.values())
    profile = app.profile(user)
    assert profile is not None
    assert profile.wants_weights == weights


def test_automation_switches_are_stored_whole_and_only_when_changed() -> None:
    app, user = BudgetApplication(), uuid.uuid4()
    settings, position = app.set_automation(user, {"realtime_alerts": False, "bogus": True}, NOW)
    assert settings == {**AUTOMATION_DEFAULTS, "realtime_alerts": False}
    assert position > 0
    assert app.set_automation(user, {"realtime_alerts": False}, NOW)[1] == 0
    assert topics(app)[-1] == "budget.AutomationSettingsChanged"


def overspend(app: BudgetApplication, user: uuid.UUID) -> int:
    """Cover 80.00 spent on today's food; the stored position (0: no cover)."""
    return app.cover_overspend(
        user, uuid.uuid4(), day=TODAY, category="food", spent=Decimal(80), today=TODAY, now=NOW
    ).position


def test_covers_follow_the_switches_and_the_mode() -> None:
    app, user = BudgetApplication(), uuid.uuid4()
    app.submit_onboarding(user, ANSWERS, "UTC", TODAY)
    app.set_automation(user, {"auto_redistribution": False}, NOW)
    assert overspend(app, user) == 0
    app.set_automation(user, {"auto_redistribution": True, "realtime_alerts": False}, NOW)
    assert overspend(app, user) > 0
    last = app.recorder.select_notifications(start=app.head_position(), limit=1)[0]
    assert json.loads(last.state)["notify"] is False  # covered, but the user asked for quiet
    app.choose_mode(user, "strict", None, TODAY, NOW)
    assert overspend(app, user) == 0  # hard limits: no cover


def test_adapt_stores_its_moves_on_the_plan() -> None:
    app, user = BudgetApplication(), uuid.uuid4()
    app.submit_onboarding(user, ANSWERS, "UTC", dt.date(2024, 3, 1))
    spent = {dt.date(2024, 3, d): {"food": Decimal(60)} for d in range(1, 11)}
    done = app.adapt(user, TODAY, spent, NOW)
    assert done.moves
    assert done.position > 0
    assert topics(app)[-1] == "budget.BudgetAdapted"
    plan = app.month_plan(user, 2024, 3)
    assert plan is not None
    food_after = sum(row.get("food", Decimal(0)) for d, row in plan.days.items() if d > TODAY)
    food_before = sum(row.get("food", Decimal(0)) for d, row in plan.original.items() if d > TODAY)
    assert food_after - food_before == done.total
    assert app.adapt(uuid.uuid4(), TODAY, spent, NOW).position == 0  # no plan: nothing


def test_a_v1_plan_is_read_as_an_onboarding_plan_in_the_default_mode() -> None:
    app, user = BudgetApplication(), uuid.uuid4()
    app.submit_onboarding(user, ANSWERS, "UTC", TODAY)
    stored = next(
        n
        for n in app.recorder.select_notifications(start=1, limit=100)
        if n.topic.endswith("BudgetPlanned")
    )
    old = as_written_before(stored, "class_version", "reason", "mode")
    event = app.mapper.to_domain_event(old)
    assert isinstance(event, BudgetPlan.BudgetPlanned)
    assert (event.reason, event.mode) == ("onboarding", "default")
