"""Budget optimization at the current pace, hand-computed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from services.budget.engine.optimization import optimize, projections

PLANNED = {"food": D("600"), "entertainment": D("300"), "housing": D("1500"), "savings": D("600")}


def test_surplus_moves_to_the_deficit_at_the_current_pace() -> None:
    spent = {"food": D("400"), "housing": D("1500")}
    found = optimize(PLANNED, spent, dt.date(2026, 6, 10))  # day 10 of 30
    food = found["categories"]["food"]
    assert food["projected"] == D("1200.00")  # 40.00 a day for 30 days
    assert food["balance"] == D("-600.00")
    assert found["categories"]["housing"]["balance"] == D("0.00")  # a lump: its plan
    assert found["categories"]["savings"]["projected"] == D("600.00")
    # Half of entertainment's projected 300.00 surplus; sacred housing and savings never give.
    assert found["moves"] == [
        {"from_category": "entertainment", "to_category": "food", "amount": D("150.00")}
    ]
    assert found["total_movable"] == D("150.00")
    assert found["overall_score"] == 75  # 3 of 4 planned categories on track
    assert found["suggestions"] == [
        "Move 150.00 from entertainment to food: food is heading for 600.00 over plan, "
        "entertainment for 300.00 under."
    ]


def test_nothing_to_move_and_an_uncovered_deficit() -> None:
    calm = optimize(PLANNED, {}, dt.date(2026, 6, 10))
    assert calm["moves"] == []
    assert calm["overall_score"] == 100
    assert calm["suggestions"] == ["Every category is on pace to stay within its plan this month."]
    only_food = {"food": D("600")}
    over = optimize(only_food, {"food": D("300"), "travel": D("50")}, dt.date(2026, 6, 10))
    assert over["moves"] == []
    assert over["suggestions"][0].startswith("food is heading for 300.00 over plan")
    assert "slow it to 300.00" in over["suggestions"][0]
    assert projections({}, {}, dt.date(2026, 6, 30)) == {}


def test_a_days_status_is_explained_with_its_figures() -> None:
    from services.budget.engine.explain import explain_day

    day = dt.date(2026, 6, 1)
    cells = {"food": (D("20.00"), D("35.50")), "transportation": (D("10.00"), D("0.00")),
             "savings": (D("600.00"), D("0.00"))}  # fmt: skip
    found = explain_day(day, cells, "yellow")
    assert (found["status"], found["planned"], found["spent"]) == ("red", D("30.00"), D("35.50"))
    assert found["explanation"] == (
        "On Monday 1 June 2026 you spent 35.50 of the 30.00 planned, 5.50 over plan, beyond "
        "the 2.00 tolerance: red. Food decided it: 35.50 against 20.00 planned. "
        "The app showed yellow; the budget now says red."
    )
    calm = explain_day(day, {"food": (D("20.00"), D("0"))}, "<b>hi</b>")
    assert calm["status"] == "green"
    assert calm["explanation"].endswith("20.00 under plan: green. Nothing was spent.")
    near = explain_day(day, {"food": (D("20.00"), D("21.00"))}, None)
    assert "within the 2.00 tolerance: yellow" in near["explanation"]
