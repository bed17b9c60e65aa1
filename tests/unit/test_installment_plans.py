"""Installment rules and aggregates: due dates, the settling last payment, overdue, the
summary and load, the month calendar, achievements; the aggregate's lifecycle."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.installment_plans import amount_of, due_date, monthly_equivalent
from services.ledger.installments import rules
from services.ledger.installments.domain import Installment, InvalidInstallment

D = Decimal
NOW = dt.datetime(2026, 3, 10, 9, tzinfo=dt.UTC)
TODAY = NOW.date()


def row(**over: Any) -> dict[str, Any]:
    """A read-model row."""
    base = {
        "id": uuid.uuid4(), "user_id": uuid.uuid4(), "item_name": "Laptop",
        "category": "electronics", "payment_frequency": "monthly", "total_amount": D("1000.00"),
        "payment_amount": D("90.00"), "interest_rate": D("0"), "total_payments": 12,
        "first_payment_date": dt.date(2026, 1, 31), "payments_made": 0, "notes": None,
        "status": "active", "created_at": NOW, "updated_at": NOW,
    }  # fmt: skip
    return base | over


@pytest.mark.parametrize(
    ("frequency", "number", "due"),
    [
        ("monthly", 1, dt.date(2026, 1, 31)),
        ("monthly", 2, dt.date(2026, 2, 28)),  # the month's last day when it is shorter
        ("monthly", 3, dt.date(2026, 3, 31)),
        ("monthly", 13, dt.date(2027, 1, 31)),
        ("biweekly", 3, dt.date(2026, 2, 28)),
        ("weekly", 2, dt.date(2026, 2, 7)),
    ],
)
def test_due_dates(frequency: str, number: int, due: dt.date) -> None:
    assert due_date(dt.date(2026, 1, 31), frequency, number) == due


@given(
    payment=st.integers(min_value=100, max_value=100_000),
    count=st.integers(min_value=1, max_value=120),
    extra=st.integers(min_value=1, max_value=100_000),
)
def test_the_payments_sum_to_the_total(payment: int, count: int, extra: int) -> None:
    each = D(payment) / 100
    total = each * (count - 1) + D(extra) / 100
    amounts = [amount_of(total, each, count, n) for n in range(1, count + 1)]
    assert sum(amounts) == total
    assert all(a > 0 for a in amounts)


def test_monthly_equivalents() -> None:
    assert monthly_equivalent(D("50.00"), "weekly") == D("216.67")
    assert monthly_equivalent(D("100.00"), "biweekly") == D("216.67")
    assert monthly_equivalent(D("90.00"), "monthly") == D("90.00")


@pytest.mark.parametrize(
    ("over", "status"),
    [
        ({}, "overdue"),  # 31 Jan unpaid on 10 Mar
        ({"payments_made": 2}, "active"),  # next: 31 Mar
        ({"payments_made": 1}, "overdue"),  # next: 28 Feb
        ({"status": "completed", "payments_made": 12}, "completed"),
        ({"status": "cancelled"}, "cancelled"),  # never overdue
    ],
)
def test_status_of(over: dict[str, Any], status: str) -> None:
    assert rules.status_of(row(**over), TODAY) == status


def test_the_view_names_next_and_final_payments() -> None:
    found = rules.view(row(payments_made=2), TODAY)
    assert (found["next_payment_date"], found["final_payment_date"]) == ("2026-03-31", "2026-12-31")
    done = rules.view(row(payments_made=12, status="completed"), TODAY)
    assert done["next_payment_date"] == done["final_payment_date"]


def test_summary_counts_ongoing_plans_and_the_load() -> None:
    rows = [
        row(payments_made=2),
        row(payments_made=11, item_name="Sofa", first_payment_date=dt.date(2025, 3, 31)),
        row(status="completed", payments_made=12),
        row(status="cancelled"),
    ]
    found = rules.summary(rows, TODAY, D("3000"), None)
    assert (found["total_active"], found["total_completed"]) == (2, 1)
    assert found["total_monthly_payment"] == D("180.00")
    # The Sofa's 12th payment (28 Feb, overdue) comes first: it settles the last 10.00.
    assert found["next_payment_date"] == "2026-02-28"
    assert found["next_payment_amount"] == D("10.00")
    assert found["current_installment_load"] == D("0.0600")
    assert "6.0%" in found["load_message"]
    assert "safe" in found["load_message"]
    assert {v["status"] for v in found["installments"][-2:]} == {"completed", "cancelled"}
    assert rules.summary(rows, TODAY, None, "cancelled")["current_installment_load"] == 0
    assert len(rules.summary(rows, TODAY, None, "completed")["installments"]) == 1


@pytest.mark.parametrize(
    ("load", "band"),
    [("0.49", "safe"), ("0.5", "moderate"), ("0.7", "high"), ("0.9", "critical")],
)
def test_load_bands(load: str, band: str) -> None:
    assert band in rules.load_message(D(load), D("1000"))


def test_the_month_calendar() -> None:
    plans = [
        row(payments_made=1),
        row(status="cancelled"),
        row(
            payment_frequency="weekly",
            first_payment_date=dt.date(2026, 2, 20),
            total_amount=D("100.00"),
            payment_amount=D("30.00"),
            total_payments=4,
        ),
    ]
    found = rules.calendar(plans, 2026, 3, TODAY)
    assert [(p["date"], p["status"], p["amount"]) for p in found["payments"]] == [
        ("2026-03-06", "overdue", D("30.00")),  # weekly #3 (the 20th and 27th were February)
        ("2026-03-13", "due", D("10.00")),  # weekly #4 settles the total
        ("2026-03-31", "due", D("90.00")),
    ]
    assert found["total_due"] == D("130.00")
    feb = rules.calendar(plans, 2026, 2, TODAY)
    assert [p["status"] for p in feb["payments"] if p["amount"] == 90] == ["overdue"]
    assert [p["status"] for p in rules.calendar(plans, 2026, 1, TODAY)["payments"]] == ["paid"]
    assert set(found["days"]) == {"2026-03-06", "2026-03-13", "2026-03-31"}


def calc(level: str, category: str, days_ago: int, interest: str = "50.00") -> dict[str, Any]:
    """A recorded calculation."""
    return {
        "risk_level": level,
        "category": category,
        "total_interest": D(interest),
        "purchase_amount": D("500"),
        "performed_at": NOW - dt.timedelta(days=days_ago),
    }


def test_achievements() -> None:
    user = str(uuid.uuid4())
    taken = row(category="furniture", created_at=NOW - dt.timedelta(days=40))
    done = [row(status="completed", payments_made=12, created_at=NOW - dt.timedelta(days=100))]
    calcs = [calc("red", "furniture", 45), calc("red", "groceries", 60, "20.00"),
             calc("orange", "travel", 100, "30.00"), calc("green", "other", 2)]  # fmt: skip
    found = rules.achievements(user, [taken, *done], calcs, NOW, dt.UTC)
    assert found["calculations_performed"] == 4
    assert found["calculations_declined"] == 2  # the furniture one was taken within 30 days
    assert found["interest_saved"] == D("50.00")
    assert found["days_without_new_installment"] == 40
    assert found["max_days_streak"] == 60  # from the 100-days-ago plan to the next one
    assert found["installments_completed"] == 1
    assert found["achievement_level"] == "disciplined"
    assert found["last_calculation_date"] == (NOW - dt.timedelta(days=2)).isoformat()
    fresh = rules.achievements(user, [], [], NOW, dt.UTC)
    assert (fresh["achievement_level"], fresh["max_days_streak"]) == ("beginner", 0)
    assert fresh["updated_at"] == NOW.isoformat()


def make(**over: Any) -> Installment:
    """An installment as the app creates one."""
    form = {k: v for k, v in row().items() if k in (
        "item_name", "category", "payment_frequency", "total_amount", "payment_amount",
        "interest_rate", "total_payments", "first_payment_date")} | over  # fmt: skip
    return Installment.create(installment_id=uuid.uuid4(), user_id=uuid.uuid4(), at=NOW, **form)


def test_the_lifecycle() -> None:
    plan = make()
    assert (plan.status, plan.payments_made) == ("active", 0)
    assert plan.record_payments(12, NOW)
    assert plan.status == "completed"
    assert plan.record_payments(11, NOW)
    assert plan.status == "active"
    assert not plan.record_payments(11, NOW)
    assert plan.change_status("cancelled", NOW)
    assert plan.status == "cancelled"
    assert plan.record_payments(12, NOW)
    assert plan.status == "cancelled"
    assert plan.change_status("active", NOW)
    assert plan.status == "completed"
    assert not plan.change_status("completed", NOW)
    assert plan.change_notes("promo", NOW)
    assert not plan.change_notes("promo", NOW)
    assert plan.change_notes(None, NOW)
    assert plan.notes is None
    with pytest.raises(InvalidInstallment):
        plan.record_payments(13, NOW)
    with pytest.raises(InvalidInstallment):
        make(payment_amount=D("100.00"))  # 11 × 100 leaves nothing for the last payment
    with pytest.raises(InvalidInstallment):
        make(payments_made=13)
    assert make(payments_made=12).status == "completed"


def test_evaluations_band_each_ongoing_plan() -> None:
    plans = [
        row(payments_made=2, item_name="ok"),  # 90 of 3000: 3 %
        row(
            payments_made=2, item_name="big", payment_amount=D("500.00"), total_amount=D("5600.00")
        ),
        row(item_name="late"),  # overdue: at least orange
        row(payments_made=2, item_name="food", category="groceries"),
        row(status="cancelled", item_name="gone"),
    ]
    found = {e["item_name"]: e["risk_level"] for e in rules.evaluations(plans, TODAY, D(3000))}
    assert found == {"ok": "green", "big": "yellow", "late": "orange", "food": "red"}
    unknown = rules.evaluations(plans[:1], TODAY, None)
    assert (unknown[0]["risk_level"], unknown[0]["share_of_income"]) == ("yellow", None)
