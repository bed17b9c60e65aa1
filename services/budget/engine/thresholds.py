"""Dynamic thresholds and housing affordability (pure; docs/financial.md): values scaled to
the user's income tier and region, and — once they have a plan — read from their own plan."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

from contracts.budget import GRADES
from services.budget.engine import categories as cat
from services.budget.engine.health import WEIGHTS
from services.budget.engine.money import CENTS, ZERO

D = Decimal
RATIO: Final = D("0.0001")
LOW, HIGH = D(3000), D(8000)
#: Cost-of-living factors by region (ISO country, or country-subdivision); others are 1.00.
REGION_FACTORS: Final = {
    "US-CA": D("1.15"), "US-NY": D("1.20"), "US-MA": D("1.10"), "US-WA": D("1.10"),
    "CH": D("1.25"), "GB": D("1.05"), "IE": D("1.10"), "BG": D("0.80"), "RO": D("0.80"),
    "PL": D("0.85"), "IN": D("0.70"),
}  # fmt: skip
#: Shares of income without a plan, per tier (low, middle, high).
TIER_SHARES: Final = {
    "housing": (D("0.40"), D("0.30"), D("0.25")),
    "food": (D("0.15"), D("0.12"), D("0.10")),
    "transport": (D("0.15"), D("0.15"), D("0.12")),
    "entertainment": (D("0.05"), D("0.08"), D("0.10")),
    "savings": (D("0.05"), D("0.12"), D("0.18")),
}
#: The plan categories each share reads once the user has a plan.
PLAN_SHARES: Final = {
    "housing": cat.HOUSING, "food": cat.FOOD, "transport": cat.TRANSPORTATION,
    "entertainment": cat.ENTERTAINMENT, "savings": cat.SAVINGS,
}  # fmt: skip
HIGH_DEBT: Final = D("0.36")
HOUSING_CAP: Final = D("0.50")


def tier(income: Decimal) -> str:
    """low below 3,000 a month, middle below 8,000, else high."""
    return "low" if income < LOW else "middle" if income < HIGH else "high"


def region_factor(region: str) -> Decimal:
    """The region's factor (``US-CA`` first, then ``US``), 1.00 when not listed."""
    code = region.strip().upper().replace("_", "-")
    return REGION_FACTORS.get(code, REGION_FACTORS.get(code.split("-")[0], D("1.00")))


def _ratio(value: Decimal) -> Decimal:
    return value.quantize(RATIO, rounding=ROUND_HALF_UP)


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENTS, rounding=ROUND_HALF_UP)


def _index(income: Decimal) -> int:
    return ("low", "middle", "high").index(tier(income))


def allocation(
    income: Decimal, factor: Decimal, plan: Mapping[str, Decimal] | None
) -> dict[str, Any]:
    """Shares of income: the plan's own (of the income the plan sums to) when there is one,
    else the tier's (housing scaled by the region, capped at 50 %)."""
    total = sum(plan.values(), ZERO) if plan else ZERO
    if plan and total > 0:
        shares = {k: _ratio(plan.get(c, ZERO) / total) for k, c in PLAN_SHARES.items()}
        return {"source": "plan", **shares}
    shares = {k: v[_index(income)] for k, v in TIER_SHARES.items()}
    shares["housing"] = min(HOUSING_CAP, _ratio(shares["housing"] * factor))
    return {"source": "income_tier", **shares}


def savings_target(income: Decimal, context: Mapping[str, Any]) -> dict[str, Any]:
    """The tier's savings rate (3 points less, not below 3 %, when debt takes over 36 % of
    income); half of it as the minimum; 3 months of emergency fund, 4 for a family, 6 from
    55 or retired."""
    target = TIER_SHARES["savings"][_index(income)]
    if context["debt_to_income_ratio"] > HIGH_DEBT:
        target = max(D("0.03"), target - D("0.03"))
    months = D(3) if context["family_size"] <= 1 else D(4)
    if context["age"] >= 55 or str(context["life_stage"]).lower() == "retired":
        months = D(6)
    return {"target_savings_rate": target, "minimum_savings_rate": _ratio(target / 2),
            "emergency_fund_months": months}  # fmt: skip


def thresholds(
    kind: str,
    context: Mapping[str, Any],
    income: Decimal,
    plan: Mapping[str, Decimal] | None,
) -> dict[str, Any]:
    """The thresholds of ``kind`` for ``context`` (its ``monthly_income`` already resolved)."""
    factor = region_factor(str(context["region"]))
    out: dict[str, Any] = {"threshold_type": kind, "monthly_income": income,
                           "income_tier": tier(income), "regional_adjustment_factor": factor,
                           "source": "income_tier"}  # fmt: skip
    if kind == "budget_allocation":
        out.update(allocation(income, factor, plan))
    elif kind == "spending_pattern":
        small = min(max(income * D("0.005"), D(5)), D(100)) * factor
        out.update(
            small_purchase_threshold=_money(small),
            medium_purchase_threshold=_money(income * D("0.02")),
            large_purchase_threshold=_money(income * D("0.10")),
            category_concentration_threshold=D("0.6"),
            monthly_variance_threshold=D("0.4") if context["months_of_data"] < 3 else D("0.3"),
            impulse_buying_threshold=D("0.6"),
        )
    elif kind == "health_scoring":
        out.update(grade_boundaries={letter: D(floor) for floor, letter in GRADES},
                   component_expectations=dict(WEIGHTS))  # fmt: skip
    elif kind == "savings_target":
        out.update(savings_target(income, context))
    elif kind == "goal_constraint":
        years = D(7) if context["age"] < 30 else D(5) if context["age"] < 55 else D(3)
        out.update(maximum_goal_timeline_years=years,
                   minimum_monthly_contribution=_money(max(D(10), income * D("0.05"))),
                   maximum_monthly_contribution=_money(income * D("0.25")))  # fmt: skip
    else:  # behavioral_trigger
        out.update(total_budget_variance_threshold=D("1.1"),
                   weekend_overspending_multiplier=D("1.3"))  # fmt: skip
    return out


def housing(context: Mapping[str, Any], income: Decimal, current: Decimal | None) -> dict[str, Any]:
    """Housing as a share of income: recommended = the tier's share × the region's factor
    (at most 50 %), maximum × 1.25 (at most 60 %), comfortable × 0.85; the amounts a month;
    the plan's housing against them."""
    factor = region_factor(str(context["region"]))
    recommended = min(HOUSING_CAP, _ratio(TIER_SHARES["housing"][_index(income)] * factor))
    maximum = min(D("0.60"), _ratio(recommended * D("1.25")))
    comfortable = _ratio(recommended * D("0.85"))
    ratio = _ratio(current / income) if current is not None and income > 0 else None
    if ratio is None:
        assessment = "Onboard with your rent or mortgage to compare your housing to these limits"
    elif ratio <= comfortable:
        assessment = "Your housing is comfortably within your income"
    elif ratio <= recommended:
        assessment = "Your housing is within the recommended share of your income"
    elif ratio <= maximum:
        assessment = "Your housing is above the recommended share: keep other costs low"
    else:
        assessment = "Your housing is above the maximum share of your income"
    return {
        "monthly_income": income, "income_tier": tier(income),
        "recommended_housing_ratio": recommended, "maximum_housing_ratio": maximum,
        "comfortable_housing_ratio": comfortable, "regional_adjustment_factor": factor,
        "recommended_monthly_housing": _money(income * recommended),
        "maximum_monthly_housing": _money(income * maximum),
        "comfortable_monthly_housing": _money(income * comfortable),
        "current_housing": current, "current_housing_ratio": ratio, "assessment": assessment,
    }  # fmt: skip
