"""Budget modes, learned weights, auto-adaptation and the advice rules (pure engine)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.budget import APP_ICONS, LOOKS, look
from services.budget.engine import categories as cat
from services.budget.engine.adapt import adapt_month
from services.budget.engine.advice import (
    MonthFigures,
    behavioral_allocation,
    income_recommendations,
    income_tier,
    suggestions,
)
from services.budget.engine.daily import distribute_month, month_totals
from services.budget.engine.forecast import forecast
from services.budget.engine.modes import (
    MODES,
    default_wants_weights,
    learned_wants_weights,
    mode_of,
)
from services.budget.engine.plan import PlanError, build_plan

D = Decimal


def test_modes_and_their_rules() -> None:
    assert set(MODES) == {"default", "flexible", "strict", "behavioral", "goal"}
    assert mode_of(None) is MODES["default"]
    assert mode_of("unheard of") is MODES["default"]
    assert not mode_of("strict").realtime_cover
    assert mode_of("flexible").spread_clustered
    assert mode_of("behavioral").learned
    assert build_plan(6000, method=mode_of("goal").method).categories[cat.SAVINGS] == D("1800.00")
    assert build_plan(6000).categories[cat.SAVINGS] == D("1200.00")


def test_learned_weights_need_enough_history_and_keep_a_floor() -> None:
    assert learned_wants_weights({"shopping": D(100)}, 9) is None
    assert learned_wants_weights({"food": D(100)}, 50) is None  # no wants spending
    weights = learned_wants_weights({"shopping": D(900), "travel": D(100)}, 12)
    assert weights is not None
    assert sum(weights.values()) == 100
    assert min(weights.values()) >= 5  # every want keeps a share
    assert weights["shopping"] > weights["travel"] > weights["education"]
    plan = build_plan(6000, wants_weights=weights)
    default = build_plan(6000)
    assert plan.categories["shopping"] > default.categories["shopping"]
    assert sum(plan.categories.values()) == 6000


@pytest.mark.parametrize(
    "weights",
    [{"shopping": 1}, {**default_wants_weights(), "travel": D(-1)}, dict.fromkeys(cat.WANTS, 0)],
)
def test_bad_wants_weights_are_refused(weights: dict[str, Decimal]) -> None:
    with pytest.raises(PlanError):
        build_plan(6000, wants_weights=weights)


def test_flexible_layout_spreads_entertainment_and_travel_over_every_day() -> None:
    categories = build_plan(6000, fixed_expenses={"rent": 1500}).categories
    clustered = distribute_month(categories, 2026, 12, user_id="u")
    spread = distribute_month(categories, 2026, 12, user_id="u", spread_clustered=True)
    assert sum(1 for d in clustered.values() if "entertainment" in d) == 4
    assert all("entertainment" in d and "travel" in d for d in spread.values())
    assert month_totals(spread) == month_totals(clustered) == dict(categories)


def days_of(planned: dict[dt.date, dict[str, Decimal]]) -> Decimal:
    return sum((a for row in planned.values() for a in row.values()), D(0))


def test_adapt_moves_future_money_to_what_runs_out_first() -> None:
    categories = build_plan(3100, fixed_expenses={"rent": 1000}).categories
    planned = distribute_month(categories, 2026, 1, user_id="u")
    today = dt.date(2026, 1, 10)
    spent = {dt.date(2026, 1, d): {"food": D(90)} for d in range(1, 11)}  # 3x the food plan
    outcome = adapt_month(planned, spent, today=today)
    assert outcome.moves
    assert {m.to_category for m in outcome.moves} == {"food"}
    assert all(m.to_date > today and m.from_date > today for m in outcome.moves)
    assert not {m.from_category for m in outcome.moves} & {"housing", "savings"}
    assert days_of(outcome.planned) == days_of(planned)  # conserved to the cent
    assert outcome.total_moved == sum((m.amount for m in outcome.moves), D(0))
    for day, row in planned.items():  # a donor day keeps at least half of its plan
        for c, amount in row.items():
            assert outcome.planned[day][c] >= amount / 2 or c == "food"
    # Discretionary money is taken before protected money.
    donors = [m.from_category for m in outcome.moves]
    assert donors[0] in ("entertainment", "travel")


def test_adapt_does_nothing_without_spending_or_future_days() -> None:
    planned = distribute_month(build_plan(3100).categories, 2026, 1, user_id="u")
    assert adapt_month(planned, {}, today=dt.date(2026, 1, 10)).moves == ()
    spent = {dt.date(2026, 1, 31): {"food": D(500)}}
    assert adapt_month(planned, spent, today=dt.date(2026, 1, 31)).moves == ()


@settings(max_examples=60, deadline=None)
@given(
    day=st.integers(1, 30),
    spends=st.dictionaries(
        st.sampled_from(["food", "shopping", "entertainment", "transportation", "other"]),
        st.integers(0, 200_000).map(lambda c: D(c).scaleb(-2)),
    ),
)
def test_adapt_always_conserves_and_spares_sacred(day: int, spends: dict[str, Decimal]) -> None:
    categories = build_plan(4000, fixed_expenses={"rent": 1200, "phone": 40}).categories
    planned = distribute_month(categories, 2026, 3, user_id="p")
    today = dt.date(2026, 3, day)
    outcome = adapt_month(planned, {today: spends}, today=today)
    assert days_of(outcome.planned) == days_of(planned)
    for m in outcome.moves:
        assert cat.priority(m.from_category) is not cat.Priority.SACRED
        assert m.amount > 0


RENT = D(1000)


def figures(today: dt.date, spent_food: Decimal, rent_paid: Decimal = RENT) -> MonthFigures:
    planned_month = {"food": D(900), "shopping": D(300), "housing": D(1000)}
    planned_to_date = {
        "food": D(30) * today.day, "shopping": D(10) * today.day, "housing": D(1000)
    }  # fmt: skip
    spent_to_date = {"food": spent_food, "housing": rent_paid}
    return MonthFigures(
        today=today,
        days_in_month=30,
        planned_to_date=planned_to_date,
        spent_to_date=spent_to_date,
        planned_month=planned_month,
        red_days=2,
        forecast=forecast(
            sum(planned_month.values(), D(0)),
            sum(spent_to_date.values(), D(0)),
            today=today,
            category_planned=planned_month,
            category_spent=spent_to_date,
        ),
    )


def test_suggestions_name_risks_surpluses_and_red_days() -> None:
    found = suggestions(figures(dt.date(2026, 4, 10), D(600)))
    kinds = [(s["type"], s["category"]) for s in found["suggestions"]]
    assert ("overspending_risk", "food") in kinds
    assert ("surplus", "shopping") in kinds  # 100 under plan, nothing spent
    assert ("red_days", None) in kinds
    assert ("overspending_risk", "housing") not in kinds  # rent paid up front is no risk
    assert ("surplus", "housing") not in kinds  # SACRED money is never "spare"
    risk = next(s for s in found["suggestions"] if s["type"] == "overspending_risk")
    assert risk["amount"] == D("15.00")  # (900 - 600) / 20 days left
    assert found["total_count"] == len(found["suggestions"])
    assert D("0.30") < found["confidence"] < D("0.95")
    assert {i["category"] for i in found["category_insights"]} == {"food", "shopping"}


def test_on_track_month_suggests_saving_what_is_left() -> None:
    calm = suggestions(figures(dt.date(2026, 4, 10), D(100), rent_paid=D(0)))
    assert "savings_opportunity" in {s["type"] for s in calm["suggestions"]}


def test_behavioral_allocation_blends_plan_and_spending_exactly() -> None:
    plan = {"housing": D(1500), "food": D(900), "shopping": D(600), "savings": D(1000)}
    spent = {"shopping": D(300), "food": D(100)}
    learned = behavioral_allocation(
        D("4000.00"), plan, spent, {"shopping": 6, "food": 2}, learn=True
    )
    assert sum(a["amount"] for a in learned.values()) == D("4000.00")
    assert learned["housing"]["amount"] == D("1500.00")  # SACRED keeps its share
    assert learned["savings"]["amount"] == D("1000.00")
    assert learned["shopping"]["amount"] > D(600) > D(0)
    assert learned["shopping"]["confidence"] == D("0.80")
    plain = behavioral_allocation(D("4000.00"), plan, spent, {"shopping": 6}, learn=False)
    assert plain["shopping"]["amount"] == D("600.00")
    assert plain["shopping"]["confidence"] == D("0.50")


def test_income_tiers_and_recommendations() -> None:
    assert [income_tier(D(x)) for x in (2999, 3000, 7000, 7000.01)] == [
        "low",
        "mid",
        "mid",
        "high",
    ]
    rec = income_recommendations(build_plan(6000, fixed_expenses={"housing": 1500}))
    assert rec["tier"] == "mid"
    assert sum(rec["allocations"].values()) == 6000
    assert rec["allocations"]["housing"] == D("1500.00")
    assert rec["savings_rate"] == D("20.00")
    assert rec["tips"]


def test_every_look_uses_an_icon_the_app_maps() -> None:
    assert {icon for icon, _ in LOOKS.values()} <= APP_ICONS
    assert look("groceries") == LOOKS["food"]
    assert look("anything new")[0] in APP_ICONS
