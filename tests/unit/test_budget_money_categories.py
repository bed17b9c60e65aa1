"""Unit tests of the budget engine's money helpers and plan categories (pure)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from contracts.ledger import CATEGORIES, FINE_CATEGORIES, TOP_CATEGORIES
from services.budget.engine import categories as cat
from services.budget.engine.money import (
    MoneyError,
    floor_cents,
    percent,
    require_cents,
    split_evenly,
    split_largest_remainder,
    to_cents,
)


def d(*values: str) -> list[Decimal]:
    """Decimals from strings."""
    return [Decimal(v) for v in values]


def test_split_100_over_3_gives_the_extra_cent_to_the_first_part() -> None:
    assert split_evenly(Decimal("100.00"), 3) == d("33.34", "33.33", "33.33")


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (0, ("33.34", "33.33", "33.33")),
        (1, ("33.33", "33.34", "33.33")),
        (2, ("33.33", "33.33", "33.34")),
        (3, ("33.34", "33.33", "33.33")),
    ],
)
def test_split_ties_are_broken_cyclically_from_start(start: int, expected: tuple[str, ...]) -> None:
    assert split_evenly(Decimal("100.00"), 3, start=start) == d(*expected)


def test_split_gives_leftover_cents_to_the_largest_remainders() -> None:
    # 100 cents by 1:2:3 = 16.67 / 33.33 / 50 → floors 16/33/50, the cent goes to .67
    assert split_largest_remainder(Decimal("1.00"), [1, 2, 3]) == d("0.17", "0.33", "0.50")
    # 50/30/20 of 1000.01: remainders .5/.3/.2 → needs gets the cent
    parts = split_largest_remainder(Decimal("1000.01"), [50, 30, 20])
    assert parts == d("500.01", "300.00", "200.00")


def test_split_with_zero_weights() -> None:
    assert split_largest_remainder(Decimal("1.01"), [1, 0, 1]) == d("0.51", "0.00", "0.50")
    assert split_largest_remainder(Decimal("0.00"), [0, 0]) == d("0.00", "0.00")
    # every weight zero: an even split rather than losing the money
    assert split_largest_remainder(Decimal("0.03"), [0, 0]) == d("0.02", "0.01")


def test_split_accepts_decimal_weights_and_returns_cents() -> None:
    parts = split_largest_remainder(
        Decimal("10"), [Decimal("0.5"), Decimal("0.25"), Decimal("0.25")]
    )
    assert parts == d("5.00", "2.50", "2.50")
    assert all(p.as_tuple().exponent == -2 for p in parts)


def test_split_of_no_parts() -> None:
    assert split_largest_remainder(Decimal("0"), []) == []
    with pytest.raises(MoneyError, match="no parts"):
        split_largest_remainder(Decimal("1"), [])


@pytest.mark.parametrize(
    ("total", "weights", "message"),
    [
        (Decimal("-1.00"), [1], "negative total"),
        (Decimal("1.001"), [1], "2 decimal places"),
        (Decimal("NaN"), [1], "finite"),
        (Decimal("1.00"), [1, -1], "weights must not be negative"),
        (Decimal("1.00"), [Decimal("Infinity")], "finite"),
    ],
)
def test_split_refuses(total: Decimal, weights: list[Decimal | int], message: str) -> None:
    with pytest.raises(MoneyError, match=message):
        split_largest_remainder(total, weights)


@pytest.mark.parametrize(
    ("value", "half_up", "down"),
    [
        ("0.005", "0.01", "0.00"),
        ("0.015", "0.02", "0.01"),
        ("2.675", "2.68", "2.67"),
        ("-0.005", "-0.01", "0.00"),
        ("7", "7.00", "7.00"),
        ("0.019", "0.02", "0.01"),
    ],
)
def test_rounding_points(value: str, half_up: str, down: str) -> None:
    assert to_cents(Decimal(value)) == Decimal(half_up)
    assert floor_cents(Decimal(value)) == Decimal(down)


def test_to_cents_refuses_non_finite() -> None:
    with pytest.raises(MoneyError):
        to_cents(Decimal("Infinity"))


def test_require_cents_and_percent() -> None:
    assert require_cents(Decimal("1.5")) == Decimal("1.50")
    with pytest.raises(MoneyError, match="at most 2"):
        require_cents(Decimal("1.234"), "amount")
    assert percent(Decimal("41.00"), 5) == Decimal("2.05")


# --- categories -----------------------------------------------------------------------------

EXPECTED_ROLLUP = {
    "rent": "housing",
    "mortgage": "housing",
    "utilities": "utilities",
    "insurance": "insurance",
    "food": "food",
    "groceries": "food",
    "dining": "food",
    "coffee": "food",
    "transportation": "transportation",
    "gas": "transportation",
    "public_transport": "transportation",
    "taxi": "transportation",
    "healthcare": "healthcare",
    "education": "education",
    "childcare": "education",
    "shopping": "shopping",
    "clothing": "shopping",
    "personal_care": "shopping",
    "gifts": "shopping",
    "pets": "shopping",
    "entertainment": "entertainment",
    "subscriptions": "entertainment",
    "travel": "travel",
    "other": "other",
    "charity": "other",
}


def test_every_ledger_category_rolls_up_as_the_spec_table_says() -> None:
    assert set(cat.ROLLUP) == set(CATEGORIES) == TOP_CATEGORIES | FINE_CATEGORIES
    for name in CATEGORIES:
        assert cat.rollup(name) == EXPECTED_ROLLUP[name]
        assert cat.rollup(name) in cat.PLAN_CATEGORIES


def test_rollup_is_case_insensitive_and_refuses_unknown() -> None:
    assert cat.rollup(" Dining ") == "food"
    with pytest.raises(cat.CategoryError, match="unknown category"):
        cat.rollup("crypto")


def test_priorities() -> None:
    sacred = {"housing", "utilities", "insurance", "savings"}
    assert {c for c in cat.PLAN_CATEGORIES if cat.priority(c) is cat.Priority.SACRED} == sacred
    assert [cat.priority(c) for c in ("food", "transportation", "healthcare")] == [
        cat.Priority.PROTECTED
    ] * 3
    assert [cat.priority(c) for c in ("education", "shopping", "other")] == [
        cat.Priority.FLEXIBLE
    ] * 3
    assert [cat.priority(c) for c in ("entertainment", "travel")] == [
        cat.Priority.DISCRETIONARY
    ] * 2
    assert cat.priority("phone") is cat.Priority.SACRED  # custom fixed
    assert cat.PRIORITY_ORDER == (
        cat.Priority.DISCRETIONARY,
        cat.Priority.FLEXIBLE,
        cat.Priority.PROTECTED,
    )


@pytest.mark.parametrize(
    ("name", "category"),
    [
        ("rent", "housing"),
        ("Rent", "housing"),
        ("mortgage", "housing"),
        ("housing", "housing"),
        ("utilities", "utilities"),
        (" Insurance ", "insurance"),
        ("phone", "phone"),
        ("Phone Bill", "phone_bill"),
        ("car-loan #2", "car_loan_2"),
        ("food", "fixed_food"),
        ("savings", "fixed_savings"),
        ("subscriptions", "fixed_subscriptions"),
    ],
)
def test_fixed_expense_names(name: str, category: str) -> None:
    assert cat.fixed_category(name) == category
    assert cat.is_fixed(category)
    assert cat.priority(category) is cat.Priority.SACRED


def test_fixed_expense_needs_a_name() -> None:
    with pytest.raises(cat.CategoryError, match="needs a name"):
        cat.fixed_category(" -- ")


def test_kinds() -> None:
    assert cat.kind("savings") is cat.Kind.SAVINGS
    assert {c for c in cat.PLAN_CATEGORIES if cat.kind(c) is cat.Kind.SPREAD} == set(
        cat.SPREAD_ORDER
    )
    assert cat.kind("entertainment") is cat.kind("travel") is cat.Kind.CLUSTERED
    assert cat.kind("housing") is cat.kind("gym") is cat.Kind.FIXED
    assert not cat.is_fixed("food")
