"""The installment calculator against worked examples, properties and the risk table."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.installments import CalculatorIn
from services.ledger.installments.calculator import (
    _formula,
    _rows,
    calculate,
    level_of,
    payment,
    schedule,
)

D = Decimal
DAY = dt.date(2026, 1, 31)


def ask(**over: Any) -> dict[str, Any]:
    """The app's calculator body (installment_models.dart:432), validated."""
    body = {
        "purchase_amount": 1200.0, "category": "electronics", "num_payments": 12,
        "interest_rate": 24.0, "monthly_income": 3000.0, "current_balance": 500.0,
        "active_installments_count": 1, "active_installments_monthly": 100.0,
        "credit_card_debt": 0.0, "other_monthly_obligations": 200.0, "planning_mortgage": False,
    } | over  # fmt: skip
    return CalculatorIn.model_validate(body).model_dump()


@pytest.mark.parametrize(
    ("principal", "apr", "n", "due"),
    [(D("1200.00"), D("24"), 12, D("113.47")), (D("1000.00"), D("0"), 3, D("333.33")),
     (D("5000.00"), D("12"), 36, D("166.07")), (D("250.00"), D("36"), 6, D("46.15"))],
)  # fmt: skip
def test_worked_examples(principal: Decimal, apr: Decimal, n: int, due: Decimal) -> None:
    assert payment(principal, apr, n) == due


def test_schedule_on_calendar_months_settles_the_cents_on_the_last_row() -> None:
    rows = schedule(D("1000.00"), D("0"), 3, DAY)
    assert [r["date"] for r in rows] == ["2026-02-28", "2026-03-31", "2026-04-30"]
    assert [r["amount"] for r in rows] == [D("333.33"), D("333.33"), D("333.34")]
    assert rows[-1]["remaining"] == D("0.00")


@given(
    cents_=st.integers(min_value=100, max_value=10_000_000),
    apr=st.decimals(min_value=D("0"), max_value=D("60"), places=2),
    n=st.integers(min_value=1, max_value=120),
)
def test_the_schedule_sums_to_the_total_and_pays_the_formula(
    cents_: int, apr: Decimal, n: int
) -> None:
    principal = max(D(cents_) / 100, D(n))  # at least 1.00 a payment (the contract's rule)
    rows = schedule(principal, apr, n, DAY)
    due = payment(principal, apr, n)
    assert all(r["amount"] == due for r in rows[:-1])
    assert sum(r["principal"] for r in rows) == principal
    assert sum(r["amount"] for r in rows) == principal + sum(r["interest"] for r in rows)
    assert rows[-1]["remaining"] == 0
    assert all(r["remaining"] >= 0 for r in rows)
    r = apr / 100 / 12
    formula = _formula(principal, r, n)
    if all(row[3] >= 0 for row in _rows(principal, r, n, formula)[:-1]):
        assert due == formula  # the formula's payment, unless its cents would compound
    else:
        assert due < formula


def test_cents_that_would_compound_lower_the_payment() -> None:
    """91.00 over 91 months at 59.74 %: 4.59 a month would leave −4.3 before the last row."""
    r = D("59.74") / 100 / 12
    assert _formula(D("91.00"), r, 91) == D("4.59")
    assert min(row[3] for row in _rows(D("91.00"), r, 91, D("4.59"))) < 0
    due = payment(D("91.00"), D("59.74"), 91)
    assert due == D("4.58")
    rows = schedule(D("91.00"), D("59.74"), 91, DAY)
    assert rows[-1]["remaining"] == 0
    assert all(row["remaining"] >= 0 for row in rows)


def test_a_whole_answer() -> None:
    found = calculate(ask(), DAY)
    assert (found["monthly_payment"], found["total_cost"], found["total_interest"]) == (
        D("113.47"), D("1361.67"), D("161.67"),
    )  # fmt: skip
    assert found["first_payment_amount"] == D("113.47")
    assert found["remaining_monthly_funds"] == D("2586.53")  # 3000 − 100 − 200 − 113.47
    assert found["balance_after_first_payment"] == D("386.53")
    assert found["dti_ratio"] == 0.1378
    by = {f["factor"]: f["severity"] for f in found["risk_factors"]}
    assert by == {"payment_to_income": "green", "debt_to_income": "green",
                  "balance_after_first_payment": "green", "active_installments": "green",
                  "interest_rate": "orange"}  # fmt: skip
    # One orange factor makes the result at least yellow.
    assert (found["risk_level"], found["risk_score"]) == ("yellow", 2.0)
    assert found["warnings"] == ["The interest rate is 24% a year."]
    assert found["alternative_recommendation"] is None
    assert found["hidden_cost_message"] == "Interest costs 161.67 over the plan."


@pytest.mark.parametrize(
    ("over", "factor", "severity"),
    [
        ({"monthly_income": 300.0}, "payment_to_income", "red"),  # 37.8 %
        ({"monthly_income": 500.0}, "payment_to_income", "orange"),  # 22.7 %
        ({"monthly_income": 1000.0}, "payment_to_income", "yellow"),  # 11.3 %
        ({"other_monthly_obligations": 900.0}, "debt_to_income", "orange"),  # 37.1 %
        ({"current_balance": 50.0}, "balance_after_first_payment", "red"),
        ({"current_balance": 300.0}, "balance_after_first_payment", "yellow"),  # 186.53 left
        ({"current_balance": 113.47}, "balance_after_first_payment", "orange"),
        ({"active_installments_count": 3}, "active_installments", "orange"),
        ({"active_installments_count": 4}, "active_installments", "red"),
        ({"category": "groceries"}, "category", "red"),
        ({"interest_rate": 10.0}, "interest_rate", "green"),
        ({"interest_rate": 35.0}, "interest_rate", "red"),
        ({"monthly_income": None}, "income_unknown", "yellow"),
    ],
)
def test_risk_factors(over: dict[str, Any], factor: str, severity: str) -> None:
    found = {f["factor"]: f for f in calculate(ask(**over), DAY)["risk_factors"]}
    assert found[factor]["severity"] == severity
    assert found[factor]["message"]


def test_levels_from_the_factors() -> None:
    def of(*severities: str) -> tuple[str, int]:
        return level_of([{"severity": s} for s in severities])

    assert of("green", "green") == ("green", 0)
    assert of("orange") == ("yellow", 2)
    assert of("orange", "orange") == ("orange", 4)
    assert of("yellow", "yellow", "yellow", "yellow") == ("orange", 4)
    assert of("green", "red") == ("red", 4)
    risky = calculate(ask(category="groceries", current_balance=50.0), DAY)
    assert risky["risk_level"] == "red"
    assert risky["potential_overdraft"] == D("63.47")
    assert risky["alternative_recommendation"]["recommendation_type"] == "save_first"


def test_less_than_one_a_payment_is_refused() -> None:
    with pytest.raises(ValueError, match=r"at least 1\.00 per payment"):
        ask(purchase_amount=5.0, num_payments=12)
