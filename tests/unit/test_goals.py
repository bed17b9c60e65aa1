"""Goals without servers: the aggregate's decisions and the documented rules (docs/goals.md)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest

from services.ledger.goals import ideas, rules
from services.ledger.goals.domain import Goal, GoalClosed, InvalidGoal

AT = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)
TODAY = AT.date()
D = Decimal


def goal(**form: Any) -> Goal:
    """A fresh goal (the form's defaults for what is not given)."""
    given = {"title": "Trip", "target_amount": D("1000")} | form
    return Goal.create(goal_id=uuid.uuid4(), user_id=uuid.uuid4(), at=AT, **given)


def names(g: Goal) -> list[str]:
    """The event classes a goal has pending."""
    return [type(e).__name__ for e in g.collect_events()]


def row(**over: Any) -> dict[str, Any]:
    """A read-model row."""
    return {
        "id": uuid.UUID(int=7), "user_id": uuid.UUID(int=1), "title": "Trip", "description": "",
        "category": "Travel", "target_amount": D("1200.00"), "saved_amount": D("0.00"),
        "monthly_contribution": None, "priority": "medium", "target_date": None,
        "status": "active", "created_at": AT, "updated_at": AT, "completed_at": None,
    } | over  # fmt: skip


def test_create_fills_defaults_and_completes_when_already_reached() -> None:
    g = goal(monthly_contribution=D("0"))
    assert (g.category, g.priority, g.description, g.saved_amount) == (
        "Other", "medium", "", D("0.00"),
    )  # fmt: skip
    assert g.monthly_contribution is None  # 0 a month is no plan
    assert names(g) == ["Created"]
    reached = goal(saved_amount=D("1000"))
    assert reached.status == "completed"
    assert names(reached) == ["Created", "Completed"]


@pytest.mark.parametrize(
    "form",
    [{"target_amount": D("0")}, {"target_amount": D("-1")}, {"saved_amount": D("-0.01")},
     {"title": "  "}, {"category": "Cats"}, {"priority": "urgent"}],
)  # fmt: skip
def test_create_refuses_bad_values(form: dict[str, Any]) -> None:
    with pytest.raises(InvalidGoal):
        goal(**form)


def test_savings_complete_the_goal_and_closed_goals_take_none() -> None:
    g = goal()
    g.add_savings(D("999.99"), AT)
    assert g.status == "active"
    g.add_savings(D("0.01"), AT)
    assert (g.status, g.saved_amount, g.completed_at) == ("completed", D("1000.00"), AT)
    with pytest.raises(GoalClosed):
        g.add_savings(D("5"), AT)
    with pytest.raises(InvalidGoal):
        goal().add_savings(D("0"), AT)


def test_linked_transactions_count_once_and_follow_changes() -> None:
    g = goal()
    tx = uuid.uuid4()
    assert g.link(tx, D("100.00"), AT)
    assert not g.link(tx, D("100.00"), AT)  # a redelivered event decides nothing
    assert g.link(tx, D("40.00"), AT)  # amended
    assert g.saved_amount == D("40.00")
    assert g.link(tx, D("0"), AT)  # deleted
    assert (g.saved_amount, g.linked) == (D("0.00"), {})


def test_status_transitions() -> None:
    g = goal()
    assert g.pause(AT)
    assert not g.pause(AT)
    assert g.resume(AT)
    assert not g.resume(AT)
    assert g.cancel(AT)
    with pytest.raises(GoalClosed):
        g.resume(AT)
    with pytest.raises(GoalClosed):
        g.complete(AT)
    done = goal()
    assert done.complete(AT)
    with pytest.raises(GoalClosed):
        done.cancel(AT)
    with pytest.raises(GoalClosed):
        done.pause(AT)


def test_update_records_only_a_change_and_nulls_clear() -> None:
    g = goal(monthly_contribution=D("50"), target_date=dt.date(2027, 6, 1))
    g.collect_events()
    assert not g.update(AT, title="Trip", target_amount=D("1000.00"))
    assert not g.update(AT, title=None, target_amount=None)  # a null title or target: unchanged
    assert g.update(AT, monthly_contribution=None, target_date=None, category=None)
    assert (g.monthly_contribution, g.target_date, g.category) == (None, None, "Other")
    assert g.update(AT, saved_amount=D("1000"))
    assert names(g) == ["Updated", "Updated", "Completed"]


@pytest.mark.parametrize(
    ("target", "today", "left"),
    [(None, TODAY, None), (TODAY, TODAY, 1), (TODAY + dt.timedelta(days=30), TODAY, 1),
     (TODAY + dt.timedelta(days=31), TODAY, 2), (TODAY + dt.timedelta(days=365), TODAY, 12),
     (TODAY - dt.timedelta(days=1), TODAY, 0)],
)  # fmt: skip
def test_months_left(target: dt.date | None, today: dt.date, left: int | None) -> None:
    assert rules.months_left(target, today) == left


def test_add_months_keeps_the_day_or_the_months_last() -> None:
    assert rules.add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert rules.add_months(dt.date(2026, 11, 15), 3) == dt.date(2027, 2, 15)
    assert rules.add_months(dt.date(2026, 3, 31), -1) == dt.date(2026, 2, 28)


def test_view_progress_overdue_and_due_soon() -> None:
    late = row(saved_amount=D("300.00"), target_date=TODAY - dt.timedelta(days=1))
    view = rules.goal_view(late, TODAY)
    assert (view["progress"], view["remaining_amount"], view["is_overdue"]) == (
        25.0, D("900.00"), True,
    )  # fmt: skip
    assert view["id"] == str(uuid.UUID(int=7))
    assert view["deadline"] == view["target_date"]
    soon = row(target_date=TODAY + dt.timedelta(days=30))
    assert rules.is_due_soon(soon, TODAY)
    assert not rules.is_due_soon(row(target_date=TODAY + dt.timedelta(days=31)), TODAY)
    over = rules.goal_view(row(saved_amount=D("1500.00"), status="completed"), TODAY)
    assert (over["progress"], over["remaining_amount"]) == (100.0, D("0.00"))


def test_statistics_rates_are_percentages() -> None:
    rows = [
        row(status="completed", saved_amount=D("1200.00")),
        row(saved_amount=D("300.00"), monthly_contribution=D("50.00"),
            target_date=TODAY - dt.timedelta(days=3)),
        row(status="paused", target_date=TODAY + dt.timedelta(days=10)),
        row(status="cancelled", target_amount=D("999.00")),
    ]  # fmt: skip
    stats = rules.statistics(rows, TODAY)
    assert stats["total_goals"] == 4
    assert stats["completion_rate"] == 25.0
    assert stats["average_progress"] == 41.7  # (100 + 25 + 0) / 3, the cancelled aside
    assert stats["total_target_amount"] == D("3600.00")
    assert stats["total_saved_amount"] == D("1500.00")
    assert stats["total_monthly_contribution"] == D("50.00")
    assert (stats["overdue_goals"], stats["due_soon"]) == (1, 0)
    assert rules.statistics([], TODAY)["completion_rate"] == 0.0


@pytest.mark.parametrize(
    ("over", "score", "on_track", "need"),
    [
        ({"monthly_contribution": D("100.00"), "target_date": TODAY + dt.timedelta(days=365)},
         60, True, D("100.00")),
        ({"monthly_contribution": D("50.00"), "target_date": TODAY + dt.timedelta(days=365)},
         30, False, D("100.00")),
        ({"monthly_contribution": D("50.00"), "target_date": TODAY + dt.timedelta(days=365),
          "status": "paused"}, 15, False, D("100.00")),
        ({"saved_amount": D("600.00"), "target_date": TODAY - dt.timedelta(days=1)},
         20, False, D("600.00")),
        ({"saved_amount": D("600.00")}, 40, False, None),
        ({"monthly_contribution": D("10.00")}, 60, True, None),
        ({"status": "completed", "saved_amount": D("1200.00"), "completed_at": AT},
         100, True, None),
    ],
)  # fmt: skip
def test_health(over: dict[str, Any], score: int, on_track: bool, need: Decimal | None) -> None:
    found = rules.health(row(**over), TODAY, "EUR")
    assert (found["health_score"], found["on_track"], found["monthly_needed"]) == (
        score, on_track, need,
    )  # fmt: skip
    assert found["insights"][0].startswith("Saved ")


def test_health_predicts_and_advises_with_the_figures() -> None:
    found = rules.health(
        row(monthly_contribution=D("50.00"), target_date=TODAY + dt.timedelta(days=365)),
        TODAY, "EUR",
    )  # fmt: skip
    assert found["predicted_completion_date"] == "2028-12-02"  # 1200 / 50 = 24 months
    assert found["recommendations"][0] == (
        "Raise the monthly contribution to 100.00 EUR (+50.00 EUR) to reach it on time."
    )
    assert found["recommendations"][1] == "Or move the target date to 2028-12-02."


MONTHS = {
    ("2026-09", "dining"): D("300.00"), ("2026-09", "rent"): D("900.00"),
    ("2026-10", "dining"): D("200.00"), ("2026-10", "rent"): D("900.00"),
    ("2026-11", "shopping"): D("60.00"), ("2026-11", "rent"): D("900.00"),
}  # fmt: skip


def test_average_month_and_categories() -> None:
    assert ideas.average_month(MONTHS) == D("1086.67")  # 3,260 / 3
    assert ideas.by_category(MONTHS)["dining"] == D("166.67")
    assert ideas.average_month({}) == D("0.00")


def test_recommendations_from_the_numbers() -> None:
    found = ideas.recommendations(D("3000.00"), MONTHS, [], TODAY, "EUR")
    by = {r["category"]: r for r in found["recommendations"]}
    emergency = by["Emergency"]
    assert emergency["target_amount"] == D("3270.00")  # 3 × 1,086.67 = 3,260.01, up to 10
    assert emergency["monthly_contribution"] == D("574.00")  # 30 % of 1,913.33, up to the cent
    assert emergency["suggested_deadline"] == "2027-06-02"  # ⌈3270 / 574⌉ = 6 months
    assert by["Savings"]["monthly_contribution"] == D("382.67")  # a fifth of the free money
    assert by["Travel"]["monthly_contribution"] == D("41.67")  # a quarter of dining's 166.67
    assert found["free_monthly"] == D("1913.33")
    # An open goal of the kind is not recommended again; no income, no free money.
    mine = [row(category="Emergency"), row(category="Savings"), row(category="Travel")]
    assert ideas.recommendations(D("3000.00"), MONTHS, mine, TODAY, None)["recommendations"] == []
    alone = ideas.recommendations(None, MONTHS, [], TODAY, None)
    assert [r["category"] for r in alone["recommendations"]] == ["Emergency", "Travel"]


def test_adjustments_name_the_shortfall() -> None:
    short = row(monthly_contribution=D("50.00"), target_date=TODAY + dt.timedelta(days=365))
    fine = row(id=uuid.UUID(int=8), monthly_contribution=D("100.00"),
               target_date=TODAY + dt.timedelta(days=365))  # fmt: skip
    (adjustment,) = ideas.adjustments([short, fine], D("1100.00"), MONTHS, TODAY, "EUR")
    assert (adjustment["current_monthly"], adjustment["suggested_monthly"]) == (
        D("50.00"), D("100.00"),
    )  # fmt: skip
    assert "1,200.00 EUR" in adjustment["reason"]
    # Needs of 200 a month against 13.33 kept: the reason says a later date may fit.
    assert "more than the 13.33 EUR you keep" in adjustment["reason"]


def test_opportunities_and_income_tiers() -> None:
    found = ideas.opportunities(MONTHS, "EUR")
    assert [o["spending_category"] for o in found] == ["dining", "shopping"]
    assert found[0]["monthly_contribution"] == D("33.34")  # a fifth of 166.67, up to the cent
    assert found[0]["target_amount"] == D("400.08")
    assert found[0]["category"] == "Travel"
    assert ideas.tier(D("2999.99"))[0] == 3
    assert ideas.tier(D("7000"))[0] == 4
    assert ideas.tier(D("7000.01"))[0] == 6
    assert ideas.income_ideas(None, TODAY, None) == []
    emergency, invest = ideas.income_ideas(D("8000.00"), TODAY, "EUR")
    assert emergency["target_amount"] == D("33600.00")  # 6 × 70 % of 8,000
    assert emergency["monthly_contribution"] == D("1600.00")
    assert invest["monthly_contribution"] == D("1200.00")


def test_analysis_orders_by_priority_and_weighs_the_free_money() -> None:
    car = row(
        id=uuid.UUID(int=1), title="Car", priority="low", target_amount=D("2400.00"),
        monthly_contribution=D("100.00"), target_date=TODAY + dt.timedelta(days=365),
    )  # fmt: skip
    buffer = row(id=uuid.UUID(int=2), title="Buffer", priority="high", target_amount=D("600.00"),
                 saved_amount=D("150.00"), monthly_contribution=D("50.00"))  # fmt: skip
    gone = row(id=uuid.UUID(int=3), status="cancelled", target_amount=D("9999.00"))
    found = ideas.analysis([car, buffer, gone], D("1200.00"), MONTHS, TODAY, "EUR")
    assert [g["title"] for g in found["goals"]] == ["Buffer", "Car"]
    assert (found["monthly_planned"], found["monthly_needed"]) == (D("150.00"), D("200.00"))
    assert found["free_monthly"] == D("113.33")  # 1,200 − 1,086.67
    assert found["recommendations"][-2].startswith(
        "Your planned contributions (150.00 EUR) exceed what you keep after spending "
        "(113.33 EUR): fund 'Buffer' first."
    )
    assert found["recommendations"][-1] == "Behind plan: Car."
    assert ideas.analysis([], None, {}, TODAY, None)["summary"] == "No open goals."
