"""Unit tests of real-time redistribution and the month-level rebalance."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal

from services.budget.engine.redistribution import (
    Move,
    describe_moves,
    rebalance_month,
    redistribute_overspend,
)

D = Decimal
Plan = dict[dt.date, dict[str, Decimal]]


def day(n: int, month: int = 3) -> dt.date:
    """A day of 2024."""
    return dt.date(2024, month, n)


def total(plan: Plan) -> Decimal:
    """Σ planned."""
    return sum((a for amounts in plan.values() for a in amounts.values()), D(0))


def small_plan() -> Plan:
    """Today is March 10; days 11 and 12 are the future."""
    return {
        day(10): {"food": D("20.00"), "entertainment": D("50.00")},
        day(11): {
            "food": D("20.00"),
            "entertainment": D("30.00"),
            "shopping": D("10.00"),
            "housing": D("100.00"),
            "savings": D("50.00"),
        },
        day(12): {"food": D("20.00"), "entertainment": D("10.00"), "shopping": D("10.00")},
        day(1, 4): {"entertainment": D("999.00")},  # another month: never a donor
    }


def test_discretionary_gives_first_in_proportion_to_its_days() -> None:
    plan = small_plan()
    before = copy.deepcopy(plan)
    result = redistribute_overspend(
        plan, plan, day=day(10), category="food", spent=D("30.00"), today=day(10)
    )
    assert result.overspend == D("10.00")
    assert result.covered == D("10.00")
    assert result.fully_covered is True
    assert result.moves == (
        Move("entertainment", day(11), "food", day(10), D("7.50")),
        Move("entertainment", day(12), "food", day(10), D("2.50")),
    )
    assert result.planned[day(10)] == {"food": D("30.00"), "entertainment": D("50.00")}
    assert result.planned[day(11)]["entertainment"] == D("22.50")
    assert result.planned[day(11)]["shopping"] == D("10.00")
    assert result.planned[day(11)]["housing"] == D("100.00")
    assert total(result.planned) == total(plan)
    assert plan == before  # the input is not changed


def test_caps_and_priorities_sacred_and_same_category_untouched() -> None:
    plan = small_plan()
    result = redistribute_overspend(
        plan, plan, day=day(10), category="food", spent=D("60.00"), today=day(10)
    )
    # entertainment: ≤ 50 % of 40 = 20; shopping: ≤ 50 % of 20 = 10; food is the receiver;
    # housing and savings are SACRED; today's entertainment (50.00) is not in the future
    assert result.overspend == D("40.00")
    assert result.covered == D("30.00")
    assert result.fully_covered is False
    assert [(m.from_category, m.from_date.day, m.amount) for m in result.moves] == [
        ("entertainment", 11, D("15.00")),
        ("entertainment", 12, D("5.00")),
        ("shopping", 11, D("5.00")),
        ("shopping", 12, D("5.00")),
    ]
    assert result.planned[day(11)]["housing"] == D("100.00")
    assert result.planned[day(11)]["savings"] == D("50.00")
    assert result.planned[day(12)]["food"] == D("20.00")
    assert result.planned[day(10)]["entertainment"] == D("50.00")
    assert result.planned[day(1, 4)] == {"entertainment": D("999.00")}
    assert total(result.planned) == total(plan)


def test_protected_gives_after_discretionary_and_flexible() -> None:
    plan = small_plan()
    result = redistribute_overspend(
        plan, plan, day=day(10), category="shopping", spent=D("35.00"), today=day(10)
    )
    assert [(m.from_category, m.from_date.day, m.amount) for m in result.moves] == [
        ("entertainment", 11, D("15.00")),
        ("entertainment", 12, D("5.00")),
        ("food", 11, D("7.50")),
        ("food", 12, D("7.50")),
    ]
    assert result.fully_covered is True
    assert result.planned[day(10)]["shopping"] == D("35.00")


def test_second_redistribution_respects_the_per_day_floor_of_the_original() -> None:
    original = small_plan()
    first = redistribute_overspend(
        original, original, day=day(10), category="food", spent=D("30.00"), today=day(10)
    )
    second = redistribute_overspend(
        first.planned, original, day=day(10), category="food", spent=D("50.00"), today=day(10)
    )
    # entertainment now 22.50/7.50 of 30/10: its cap (15 = 50 % of 30) is looser than the
    # days' rooms (7.50 + 2.50), so it gives 10 and ends at exactly half its original
    assert second.overspend == D("20.00")
    assert second.planned[day(11)]["entertainment"] == D("15.00")
    assert second.planned[day(12)]["entertainment"] == D("5.00")
    assert second.planned[day(11)]["shopping"] == D("5.00")
    assert second.planned[day(12)]["shopping"] == D("5.00")
    assert second.fully_covered is True
    assert second.planned[day(10)]["food"] == D("50.00")
    assert total(second.planned) == total(original)


def test_a_day_at_its_room_spills_the_rest_to_other_days() -> None:
    original: Plan = {day(11): {"travel": D("100.00")}, day(12): {"travel": D("40.00")}}
    current: Plan = {day(11): {"travel": D("60.00")}, day(12): {"travel": D("40.00")}}
    current[day(10)] = {"food": D("0.00")}
    result = redistribute_overspend(
        current, original, day=day(10), category="food", spent=D("25.00"), today=day(10)
    )
    # proportional 15/10, but day 11 may only drop to 50.00 → 10 there, 15 from day 12
    assert [(m.from_date.day, m.amount) for m in result.moves] == [
        (11, D("10.00")),
        (12, D("15.00")),
    ]
    assert result.planned[day(12)]["travel"] == D("25.00")
    assert result.fully_covered is True


def test_half_cent_floors_round_the_room_down() -> None:
    plan: Plan = {day(11): {"travel": D("0.05")}}
    result = redistribute_overspend(
        plan, plan, day=day(10), category="food", spent=D("1.00"), today=day(10)
    )
    assert result.covered == D("0.02")
    assert result.planned[day(10)] == {"food": D("0.02")}
    assert result.planned[day(11)]["travel"] == D("0.03")


def test_nothing_to_cover() -> None:
    plan = small_plan()
    result = redistribute_overspend(
        plan, plan, day=day(10), category="food", spent=D("20.00"), today=day(10)
    )
    assert (result.moves, result.covered, result.overspend, result.fully_covered) == (
        (),
        D(0),
        D(0),
        True,
    )
    assert result.planned == plan


def test_no_future_days_on_the_last_day() -> None:
    plan: Plan = {day(31): {"food": D("10.00"), "entertainment": D("40.00")}}
    result = redistribute_overspend(
        plan, plan, day=day(31), category="food", spent=D("15.00"), today=day(31)
    )
    assert result.moves == ()
    assert result.covered == D(0)
    assert result.fully_covered is False


def test_backdated_overspend_takes_from_days_after_today() -> None:
    plan = small_plan()
    result = redistribute_overspend(
        plan, plan, day=day(3), category="food", spent=D("4.00"), today=day(10)
    )
    assert {m.from_date for m in result.moves} == {day(11), day(12)}
    assert result.planned[day(3)] == {"food": D("4.00")}


def test_describe_moves() -> None:
    moves = [
        Move("entertainment", day(11), "food", day(10), D("7.50")),
        Move("entertainment", day(12), "food", day(10), D("2.50")),
    ]
    assert describe_moves(moves) == "Budget adjusted: Food +10.00, Entertainment \u221210.00"
    assert describe_moves([]) == "Budget unchanged"
    assert moves[0].as_dict() == {
        "from_category": "entertainment",
        "from_date": day(11),
        "to_category": "food",
        "to_date": day(10),
        "amount": D("7.50"),
    }


# --- month-level rebalance: today March 3, past days 1-2, future days 4-5 --------------------


def month_plan() -> Plan:
    """Planned money around March 3."""
    return {
        day(1): {"food": D("10"), "entertainment": D("20"), "shopping": D("10")}
        | {"housing": D("100"), "savings": D("50")},
        day(2): {"food": D("10"), "shopping": D("10")},
        day(3): {"food": D("10"), "entertainment": D("5")},
        day(4): {"food": D("10"), "entertainment": D("20"), "shopping": D("10")},
        day(5): {"food": D("10"), "entertainment": D("20"), "shopping": D("10")},
    }


def month_spent() -> Plan:
    """Spending on the past days (and today, which does not count)."""
    return {
        day(1): {"food": D("25"), "housing": D("100")},
        day(2): {"food": D("15"), "shopping": D("2")},
        day(3): {"food": D("99")},
    }


def test_rebalance_moves_half_the_surplus_to_the_deficit_by_priority() -> None:
    plan = month_plan()
    result = rebalance_month(plan, month_spent(), today=day(3))
    # food: 20 planned vs 40 spent → deficit 20; entertainment surplus 20 → gives 10;
    # shopping surplus 18 → gives 9; savings' 50 surplus is SACRED
    assert [(m.from_category, m.from_date.day, m.to_date.day, m.amount) for m in result.moves] == [
        ("entertainment", 4, 4, D("5.00")),
        ("entertainment", 5, 5, D("5.00")),
        ("shopping", 4, 4, D("4.50")),
        ("shopping", 5, 5, D("4.50")),
    ]
    assert all(m.to_category == "food" for m in result.moves)
    assert result.total_moved == D("19.00")
    assert result.planned[day(4)] == {
        "food": D("19.50"),
        "entertainment": D("15.00"),
        "shopping": D("5.50"),
    }
    assert result.planned[day(3)] == plan[day(3)]  # today is neither past nor future
    assert result.planned[day(1)] == plan[day(1)]
    assert total(result.planned) == total(plan)


def test_rebalance_serves_the_largest_deficit_first() -> None:
    plan: Plan = {
        day(1): {"food": D("10"), "transportation": D("10"), "travel": D("20")},
        day(3): {"travel": D("30")},
        day(4): {"travel": D("30")},
    }
    spent: Plan = {day(1): {"food": D("30"), "transportation": D("40")}}
    result = rebalance_month(plan, spent, today=day(2))
    # travel surplus 20 → 10 to give; transportation's deficit (30) beats food's (20)
    assert {m.to_category for m in result.moves} == {"transportation"}
    assert result.total_moved == D("10.00")
    assert result.planned[day(3)] == {"travel": D("25.00"), "transportation": D("5.00")}


def test_rebalance_pairs_uneven_cuts_and_credits() -> None:
    plan: Plan = {
        day(1): {"shopping": D("0.06"), "food": D("0")},
        day(3): {"shopping": D("0.02")},
        day(4): {"shopping": D("0.01")},
        day(5): {},
    }
    spent: Plan = {day(1): {"food": D("5")}}
    result = rebalance_month(plan, spent, today=day(2))
    # surplus 0.06 → 0.03 to give, cut 0.02 + 0.01, credited 0.01 on each of days 3, 4, 5
    assert [(m.from_date.day, m.to_date.day, m.amount) for m in result.moves] == [
        (3, 3, D("0.01")),
        (3, 4, D("0.01")),
        (4, 5, D("0.01")),
    ]
    assert total(result.planned) == total(plan)


def test_rebalance_limits_a_donor_to_its_future_money() -> None:
    plan: Plan = {day(1): {"travel": D("100")}, day(3): {"food": D("10"), "travel": D("4")}}
    spent: Plan = {day(1): {"food": D("50")}}
    result = rebalance_month(plan, spent, today=day(2))
    assert result.total_moved == D("4.00")
    assert result.planned[day(3)] == {"food": D("14.00"), "travel": D("0.00")}


def test_rebalance_on_the_last_day_moves_nothing() -> None:
    plan: Plan = {day(1): {"travel": D("100")}, day(31): {"food": D("10")}}
    result = rebalance_month(plan, {day(1): {"food": D("50")}}, today=day(31))
    assert result.moves == ()
    assert result.total_moved == D(0)
    assert result.planned == plan


def test_rebalance_without_deficits_moves_nothing() -> None:
    plan = month_plan()
    result = rebalance_month(plan, {}, today=day(3))
    assert result.moves == ()
    assert result.planned == plan
