"""Unit tests of the status rule and the month forecast."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from services.budget.engine.forecast import ForecastStatus, category_risks, forecast
from services.budget.engine.status import Status, live_status, status, tolerance

D = Decimal
G, Y, R = Status.GREEN, Status.YELLOW, Status.RED


@pytest.mark.parametrize(
    ("planned", "expected"),
    [
        ("0.00", "2.00"),  # floor
        ("10.00", "2.00"),  # 5 % = 0.50 < 2.00
        ("40.00", "2.00"),  # 5 % = 2.00 exactly
        ("41.00", "2.05"),  # 5 %
        ("500.00", "25.00"),  # 5 % = 25.00 exactly
        ("1000.00", "25.00"),  # cap
    ],
)
def test_tolerance(planned: str, expected: str) -> None:
    assert tolerance(D(planned)) == D(expected)


@pytest.mark.parametrize(
    ("planned", "spent", "expected"),
    [
        ("10.00", "0.00", G),
        ("10.00", "10.00", G),  # delta 0 is green
        ("10.00", "10.01", Y),
        ("10.00", "12.00", Y),  # 2.00 floor, inclusive
        ("10.00", "12.01", R),
        ("41.00", "43.05", Y),  # 5 % = 2.05, inclusive
        ("41.00", "43.06", R),
        ("100.00", "105.00", Y),
        ("100.00", "105.01", R),
        ("500.00", "525.00", Y),
        ("1000.00", "1025.00", Y),  # 25.00 cap, inclusive
        ("1000.00", "1025.01", R),
        ("0.00", "2.00", Y),
        ("0.00", "2.01", R),
        ("0.00", "0.00", G),
    ],
)
def test_status_boundaries(planned: str, spent: str, expected: Status) -> None:
    assert status(D(planned), D(spent)) is expected


@pytest.mark.parametrize(
    ("planned", "spent", "expected"),
    [
        ("0", "0", "neutral"),
        ("10", "0", "good"),
        ("10", "11", "warning"),
        ("10", "13", "over"),
        ("0", "1", "warning"),
    ],
)
def test_live_status_words(planned: str, spent: str, expected: str) -> None:
    assert live_status(D(planned), D(spent)) == expected


# --- forecast (March 2024 has 31 days) ------------------------------------------------------

MARCH_10 = dt.date(2024, 3, 10)


def test_no_plan_is_no_data() -> None:
    result = forecast(None, D("50.00"), today=MARCH_10, category_spent={"food": D("50.00")})
    assert result.status is ForecastStatus.NO_DATA
    assert result.planned == D("0")
    assert result.spent == D("50.00")
    assert result.pace == D("5.00")
    assert result.categories_at_risk == ()
    assert result.as_dict()["status"] == "no_data"


def test_on_track_exactly_at_zero_balance() -> None:
    result = forecast(D("3100.00"), D("1000.00"), today=MARCH_10)
    assert result.days_elapsed == 10
    assert result.days_remaining == 21
    assert result.pace == D("100.00")
    assert result.safe_daily_limit == D("100.00")
    assert result.projected_spend == D("3100.00")
    assert result.projected_balance == D("0.00")
    assert result.status is ForecastStatus.ON_TRACK


def test_warning_below_10_percent_and_danger_at_10_percent() -> None:
    warning = forecast(D("3100.00"), D("1090.00"), today=MARCH_10)
    assert warning.pace == D("109.00")
    assert warning.projected_spend == D("3379.00")
    assert warning.projected_balance == D("-279.00")
    assert warning.status is ForecastStatus.WARNING
    danger = forecast(D("3100.00"), D("1100.00"), today=MARCH_10)
    assert danger.projected_balance == D("-310.00")  # exactly 10 % of planned
    assert danger.status is ForecastStatus.DANGER
    assert danger.safe_daily_limit == D("95.24")  # 2000 / 21 = 95.238…


def test_pace_is_rounded_first_so_the_numbers_add_up() -> None:
    result = forecast(D("1000.00"), D("100.00"), today=dt.date(2024, 3, 3))
    assert result.pace == D("33.33")
    assert result.projected_spend == D("100.00") + D("33.33") * 28 == D("1033.24")
    assert result.projected_balance == D("-33.24")
    assert result.safe_daily_limit == D("32.14")  # 900 / 28 = 32.142…
    assert result.status is ForecastStatus.WARNING


def test_safe_daily_limit_is_negative_when_already_over() -> None:
    result = forecast(D("100.00"), D("121.00"), today=MARCH_10)
    assert result.safe_daily_limit == D("-1.00")
    assert result.status is ForecastStatus.DANGER


@pytest.mark.parametrize(
    "today", [dt.date(2024, 3, 31), dt.date(2024, 2, 29), dt.date(2023, 2, 28)]
)
def test_last_day_of_the_month(today: dt.date) -> None:
    result = forecast(D("900.00"), D("930.00"), today=today)
    assert result.days_remaining == 0
    assert result.safe_daily_limit == D("0")
    assert result.projected_spend == D("930.00")
    assert result.projected_balance == D("-30.00")
    assert result.status is ForecastStatus.WARNING
    assert result.pace == (D("930.00") / today.day).quantize(D("0.01"))


def test_first_day_with_no_spending() -> None:
    result = forecast(D("3100.00"), D("0.00"), today=dt.date(2024, 3, 1))
    assert result.pace == D("0.00")
    assert result.safe_daily_limit == D("103.33")  # 3100 / 30
    assert result.projected_balance == D("3100.00")
    assert result.status is ForecastStatus.ON_TRACK


def test_categories_at_risk() -> None:
    planned = {"food": D("310.00"), "shopping": D("310.00"), "entertainment": D("100.00")}
    planned |= {"travel": D("0.00")}
    spent = {"food": D("120.00"), "shopping": D("119.99"), "entertainment": D("150.00")}
    spent |= {"travel": D("50.00")}
    result = forecast(
        D("720.00"), D("439.99"), today=MARCH_10, category_planned=planned, category_spent=spent
    )
    risks = [r.as_dict() for r in result.categories_at_risk]
    assert risks == [
        # 150 * 31 / (100 * 10) = 4.65; nothing left
        {"category": "entertainment", "ratio": D("4.65"), "days_until_exhausted": 0},
        # pace 12.00 vs 10.00 a day = 1.20 exactly; 190 left / 12 = 15.8 days
        {"category": "food", "ratio": D("1.20"), "days_until_exhausted": 15},
    ]
    # shopping's ratio is 1.19997: it would round to 1.20 but is compared exactly
    assert result.as_dict()["categories_at_risk"] == risks


def test_category_ratio_ties_keep_name_order() -> None:
    risks = category_risks(
        {"b": D("31.00"), "a": D("31.00")},
        {"b": D("2.00"), "a": D("2.00")},
        days_elapsed=1,
        days_in_month=31,
    )
    assert [r.category for r in risks] == ["a", "b"]
    assert risks[0].ratio == D("2.00")
    assert risks[0].days_until_exhausted == 14  # 29 left at 2.00 a day
