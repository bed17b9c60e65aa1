"""Unit tests of the daily distribution of a monthly plan."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from services.budget.engine.daily import (
    cluster_days,
    day_limit,
    distribute_month,
    due_day,
    month_days,
    month_totals,
    replan_from,
)
from services.budget.engine.plan import build_plan

D = Decimal
MARCH_2024_WEEKENDS = {2, 3, 9, 10, 16, 17, 23, 24, 30, 31}


def example_plan() -> dict[str, Decimal]:
    """The issue's example plan (income 6000, rent 1500, utilities 200, goal 400)."""
    plan = build_plan(D("6000"), fixed_expenses={"rent": D("1500"), "utilities": D("200")})
    return dict(plan.categories)


def test_month_days_and_due_days() -> None:
    assert len(month_days(2024, 2)) == 29
    assert len(month_days(2023, 2)) == 28
    assert month_days(2024, 3)[-1] == dt.date(2024, 3, 31)
    assert due_day("housing", 2024, 3) == dt.date(2024, 3, 1)
    assert due_day("utilities", 2024, 3) == dt.date(2024, 3, 5)
    assert due_day("phone", 2024, 3, 12) == dt.date(2024, 3, 12)
    assert due_day("phone", 2023, 2, 31) == dt.date(2023, 2, 28)
    assert due_day("phone", 2023, 2, 0) == dt.date(2023, 2, 5)  # 0 means not given
    assert due_day("phone", 2023, 2, -3) == dt.date(2023, 2, 1)


def test_fixed_and_savings_land_whole_on_their_days() -> None:
    plan = {"housing": D("1500.00"), "utilities": D("200.00"), "gym": D("30.00")}
    plan |= {"phone": D("40.00"), "savings": D("1200.00")}
    days = distribute_month(plan, 2024, 3, user_id="u", due_days={"phone": 20})
    assert days[dt.date(2024, 3, 1)] == {"housing": D("1500.00"), "savings": D("1200.00")}
    assert days[dt.date(2024, 3, 5)] == {"utilities": D("200.00"), "gym": D("30.00")}
    assert days[dt.date(2024, 3, 20)] == {"phone": D("40.00")}
    assert sum(1 for amounts in days.values() if amounts) == 3
    assert set(days) == set(month_days(2024, 3))


def test_spread_category_leftover_cents_go_to_the_first_days() -> None:
    # 100.00 over 28 days: 357 cents each, 4 left over → days 1-4 get 3.58
    days = distribute_month({"food": D("100.00")}, 2023, 2, user_id="u")
    food = [days[day]["food"] for day in month_days(2023, 2)]
    assert food == [D("3.58")] * 4 + [D("3.57")] * 24
    assert sum(food, D(0)) == D("100.00")


def test_next_spread_category_starts_its_leftovers_where_the_previous_ended() -> None:
    plan = {"food": D("100.00"), "transportation": D("0.05")}
    days = distribute_month(plan, 2023, 2, user_id="u")
    transport = [d.day for d in month_days(2023, 2) if "transportation" in days[d]]
    assert transport == [5, 6, 7, 8, 9]
    assert all(days[dt.date(2023, 2, n)]["transportation"] == D("0.01") for n in transport)


def test_tiny_spread_categories_still_give_every_day_a_limit() -> None:
    # 20 + 11 = 31 cents over 31 days: each alone would leave days empty, together one cent/day
    days = distribute_month({"food": D("0.20"), "other": D("0.11")}, 2024, 3, user_id="u")
    assert [day_limit(a) for a in days.values()] == [D("0.01")] * 31


def test_issue_example_every_day_has_a_positive_limit_and_totals_match() -> None:
    plan = example_plan()
    for year, month in [(2024, 1), (2024, 2), (2023, 2), (2024, 4)]:
        days = distribute_month(plan, year, month, user_id="user-a")
        assert all(day_limit(a) > 0 for a in days.values())
        assert month_totals(days) == plan
        assert sum(day_limit(a) for a in days.values()) == D("6000.00")


def test_issue_example_first_days_of_march() -> None:
    days = distribute_month(example_plan(), 2024, 3, user_id="user-a")
    first = days[dt.date(2024, 3, 1)]
    assert first["housing"] == D("1500.00")
    assert first["savings"] == D("1200.00")
    # 780.00 / 31 = 25.16 r 4 → days 1-4 get 25.17
    assert first["food"] == D("25.17")
    assert days[dt.date(2024, 3, 5)]["food"] == D("25.16")
    assert days[dt.date(2024, 3, 5)]["utilities"] == D("200.00")
    # user-a's entertainment days in March 2024 are 16, 24, 30, 31 at 630 / 4
    fun = {d.day: a["entertainment"] for d, a in days.items() if "entertainment" in a}
    assert fun == {16: D("157.50"), 24: D("157.50"), 30: D("157.50"), 31: D("157.50")}
    trips = {d.day: a["travel"] for d, a in days.items() if "travel" in a}
    assert trips == {17: D("180.00")}


def test_cluster_days_are_deterministic_and_weekend_first() -> None:
    four = cluster_days("user-a", 2024, 3, "entertainment", 4)
    assert four == cluster_days("user-a", 2024, 3, "entertainment", 4)
    assert [d.day for d in four] == [16, 24, 30, 31]
    assert {d.day for d in four} <= MARCH_2024_WEEKENDS
    assert [d.day for d in cluster_days("user-b", 2024, 3, "entertainment", 4)] == [2, 16, 23, 24]
    # more days than weekend days: every weekend day first, then weekdays
    twelve = {d.day for d in cluster_days("user-a", 2024, 3, "entertainment", 12)}
    assert twelve >= MARCH_2024_WEEKENDS
    assert len(twelve) == 12
    # depends on the category and the month too
    assert cluster_days("user-a", 2024, 3, "travel", 1) == [dt.date(2024, 3, 17)]
    assert [d.day for d in cluster_days("user-a", 2024, 4, "entertainment", 4)] == [7, 14, 21, 27]


@pytest.mark.parametrize(("asked", "used"), [(0, 1), (-2, 1), (1, 1), (40, 31), (31, 31)])
def test_cluster_count_is_clamped(asked: int, used: int) -> None:
    assert len(cluster_days("u", 2024, 3, "entertainment", asked)) == used


def test_clustered_amount_is_split_evenly_with_extra_cents_first() -> None:
    plan = {"entertainment": D("100.01"), "travel": D("55.55")}
    days = distribute_month(plan, 2024, 3, user_id="user-a", entertainment_per_month=4)
    fun = [(d.day, a["entertainment"]) for d, a in days.items() if "entertainment" in a]
    assert fun == [(16, D("25.01")), (24, D("25.00")), (30, D("25.00")), (31, D("25.00"))]
    assert [a["travel"] for a in days.values() if "travel" in a] == [D("55.55")]


def test_entertainment_habit_sets_the_number_of_days() -> None:
    plan = {"entertainment": D("80.00")}
    two = distribute_month(plan, 2024, 3, user_id="u", entertainment_per_month=2)
    assert sorted(a["entertainment"] for a in two.values() if a) == [D("40.00")] * 2
    none = distribute_month(plan, 2024, 3, user_id="u", entertainment_per_month=0)
    assert [a["entertainment"] for a in none.values() if a] == [D("80.00")]
    default = distribute_month(plan, 2024, 3, user_id="u")
    assert sum(1 for a in default.values() if a) == 4


def test_zero_amounts_are_left_out() -> None:
    plan = {"travel": D("0.00"), "housing": D("0.00"), "food": D("0.00"), "savings": D("0")}
    days = distribute_month(plan, 2024, 3, user_id="u")
    assert all(a == {} for a in days.values())
    assert month_totals(days) == {}


def test_replan_keeps_past_days_and_takes_the_fresh_plan_from_today() -> None:
    old = distribute_month({"food": D("31.00"), "housing": D("100.00")}, 2024, 3, user_id="u")
    new = distribute_month({"food": D("62.00"), "housing": D("200.00")}, 2024, 3, user_id="u")
    merged = replan_from(old, new, dt.date(2024, 3, 10))
    assert merged[dt.date(2024, 3, 1)] == {"food": D("1.00"), "housing": D("100.00")}
    assert merged[dt.date(2024, 3, 9)] == {"food": D("1.00")}
    assert merged[dt.date(2024, 3, 10)] == {"food": D("2.00")}
    assert month_totals(merged) == {"food": D("53.00"), "housing": D("100.00")}
    merged[dt.date(2024, 3, 1)]["food"] = D(0)
    assert old[dt.date(2024, 3, 1)]["food"] == D("1.00")  # copies, not shared
