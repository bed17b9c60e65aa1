"""Property tests of the budget engine's money invariants (budget-engine.md, "Invariants")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import event, given, settings
from hypothesis import strategies as st

from services.budget.engine import categories as cat
from services.budget.engine.daily import day_limit, distribute_month, month_days, month_totals
from services.budget.engine.money import CENTS, split_largest_remainder
from services.budget.engine.plan import MonthlyPlan, build_plan
from services.budget.engine.redistribution import rebalance_month, redistribute_overspend

PROPERTY = settings(max_examples=100, deadline=None)
ZERO = Decimal("0.00")


def cents(low: int, high: int) -> st.SearchStrategy[Decimal]:
    """Money between ``low`` and ``high`` cents."""
    return st.integers(low, high).map(lambda c: Decimal(c) * CENTS)


@st.composite
def plans(draw: st.DrawFn) -> MonthlyPlan:
    """Any valid onboarding (fixed ≤ income)."""
    income = draw(cents(1, 5_000_000))
    names = draw(st.lists(st.sampled_from(["rent", "utilities", "insurance", "phone", "gym"])))
    fixed: dict[str, Decimal] = {}
    left = income
    for name in names:
        amount = draw(cents(0, int(left / CENTS)))
        fixed[name] = fixed.get(name, ZERO) + amount
        left -= amount
    return build_plan(
        income,
        fixed_expenses=fixed,
        savings_goal=draw(st.none() | cents(0, 5_000_000)),
        travel_per_year=draw(st.none() | st.integers(0, 5)),
    )


months = st.tuples(st.integers(2020, 2030), st.integers(1, 12))


@PROPERTY
@given(
    total=cents(0, 10**9),
    weights=st.lists(st.integers(0, 1000) | st.decimals(0, 100, places=3), min_size=1),
    start=st.integers(0, 50),
)
def test_split_sums_exactly(total: Decimal, weights: list[int | Decimal], start: int) -> None:
    parts = split_largest_remainder(total, weights, start=start)
    assert sum(parts, ZERO) == total
    assert len(parts) == len(weights)
    assert all(p >= 0 and p == p.quantize(CENTS) for p in parts)
    if any(w > 0 for w in weights):
        assert all(p == 0 for p, w in zip(parts, weights, strict=True) if w == 0)
        weight_sum = sum(Decimal(w) for w in weights)
        for part, weight in zip(parts, weights, strict=True):  # within one cent of exact
            assert abs(part - total * Decimal(weight) / weight_sum) < CENTS


@PROPERTY
@given(plan=plans())
def test_plan_sums_to_income(plan: MonthlyPlan) -> None:
    assert sum(plan.categories.values(), ZERO) == plan.total_income
    assert all(amount >= 0 for amount in plan.categories.values())
    assert plan.discretionary_total == (
        plan.total_income - plan.fixed_expenses_total - plan.savings_goal
    )
    assert plan.discretionary_total >= 0


@PROPERTY
@given(
    plan=plans(),
    month=months,
    fun_days=st.none() | st.integers(0, 40),
    user=st.text(min_size=1, max_size=8),
)
def test_daily_distribution_sums_to_the_plan(
    plan: MonthlyPlan, month: tuple[int, int], fun_days: int | None, user: str
) -> None:
    year, number = month
    days = distribute_month(
        plan.categories, year, number, user_id=user, entertainment_per_month=fun_days
    )
    assert list(days) == month_days(year, number)
    nonzero = {c: a for c, a in plan.categories.items() if a != 0}
    assert month_totals(days) == nonzero
    spread = sum((plan.categories.get(c, ZERO) for c in cat.SPREAD_ORDER), ZERO)
    if spread >= CENTS * len(days):
        assert all(day_limit(amounts) > 0 for amounts in days.values())
    assert days == distribute_month(
        plan.categories, year, number, user_id=user, entertainment_per_month=fun_days
    )


@st.composite
def overspends(draw: st.DrawFn) -> list[tuple[int, str, Decimal, int]]:
    """A sequence of (day, category, extra spend, days today advances) steps."""
    step = st.tuples(
        st.integers(1, 28),
        st.sampled_from(sorted(cat.ROLLUP)),
        cents(1, 50_000),
        st.integers(0, 3),
    )
    return draw(st.lists(step, min_size=1, max_size=12))


@PROPERTY
@given(plan=plans(), month=months, steps=overspends(), start=st.integers(1, 28))
def test_real_time_redistribution_invariants(
    plan: MonthlyPlan,
    month: tuple[int, int],
    steps: list[tuple[int, str, Decimal, int]],
    start: int,
) -> None:
    year, number = month
    original = distribute_month(plan.categories, year, number, user_id="u")
    planned = {d: dict(a) for d, a in original.items()}
    spent: dict[tuple[dt.date, str], Decimal] = {}
    today = dt.date(year, number, start)
    last = month_days(year, number)[-1]
    for day_number, tx_category, amount, advance in steps:
        day = dt.date(year, number, day_number)
        category = cat.rollup(tx_category)
        spent[day, category] = spent.get((day, category), ZERO) + amount
        result = redistribute_overspend(
            planned, original, day=day, category=category, spent=spent[day, category], today=today
        )
        assert result.covered == sum((m.amount for m in result.moves), ZERO)
        assert result.covered <= max(result.overspend, ZERO)
        assert all(m.from_date > today and m.amount > 0 for m in result.moves)
        assert all(cat.priority(m.from_category) is not cat.Priority.SACRED for m in result.moves)
        event(f"moves: {bool(result.moves)}, fully covered: {result.fully_covered}")
        planned = result.planned
        today = min(last, today + dt.timedelta(days=advance))

    assert sum(day_limit(a) for a in planned.values()) == plan.total_income
    for day, amounts in original.items():
        for category, amount in amounts.items():
            now = planned[day].get(category, ZERO)
            if cat.priority(category) is cat.Priority.SACRED:
                assert now >= amount
            assert now * 2 >= amount


@PROPERTY
@given(
    plan=plans(),
    month=months,
    today_number=st.integers(1, 31),
    spending=st.lists(
        st.tuples(st.integers(1, 31), st.sampled_from(sorted(cat.ROLLUP)), cents(1, 100_000)),
        max_size=30,
    ),
)
def test_rebalance_conserves_the_month(
    plan: MonthlyPlan,
    month: tuple[int, int],
    today_number: int,
    spending: list[tuple[int, str, Decimal]],
) -> None:
    year, number = month
    days = month_days(year, number)
    planned = distribute_month(plan.categories, year, number, user_id="u")
    spent: dict[dt.date, dict[str, Decimal]] = {}
    for day_number, tx_category, amount in spending:
        day = days[min(day_number, len(days)) - 1]
        category = cat.rollup(tx_category)
        spent.setdefault(day, {})[category] = spent.get(day, {}).get(category, ZERO) + amount
    today = days[min(today_number, len(days)) - 1]
    result = rebalance_month(planned, spent, today=today)
    event(f"rebalance moved: {bool(result.moves)}")
    assert sum(day_limit(a) for a in result.planned.values()) == plan.total_income
    assert result.total_moved == sum((m.amount for m in result.moves), ZERO)
    assert all(m.from_date > today and m.to_date > today for m in result.moves)
    for day, amounts in result.planned.items():
        assert all(amount >= 0 for amount in amounts.values())
        if day <= today:
            assert amounts == planned[day]
    for category in plan.categories:
        if cat.priority(category) is cat.Priority.SACRED:
            assert all(
                result.planned[d].get(category, ZERO) >= planned[d].get(category, ZERO)
                for d in days
            )
