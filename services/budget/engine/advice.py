"""Rule-based budget advice: suggestions for the month, behavioral and income-based splits.

Every figure is computed from the user's own plan and spending; nothing here is a canned answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from services.budget.engine import categories as cat
from services.budget.engine.forecast import Forecast, ForecastStatus
from services.budget.engine.money import ZERO, split_largest_remainder, to_cents
from services.budget.engine.plan import MonthlyPlan

# The app's own income tiers (api_service.dart, income-based fallback): < 3000 low, ≤ 7000 mid.
LOW_INCOME_BELOW: Final = Decimal(3000)
MID_INCOME_UP_TO: Final = Decimal(7000)
SURPLUS_SHARE: Final = Decimal("0.25")  # a category this far under plan to date is worth naming
HUNDRED: Final = Decimal(100)
TWO_PLACES: Final = Decimal("0.01")
# Confidence in a learned share grows with the transactions behind it, up to this.
MAX_CONFIDENCE: Final = Decimal("0.95")


def label(category: str) -> str:
    """A plan category as people read it."""
    return category.replace("_", " ").capitalize()


def ratio(value: Decimal) -> Decimal:
    """A 0..1 figure with two decimals (a JSON number the app reads as a double)."""
    return min(max(value, ZERO), Decimal(1)).quantize(TWO_PLACES)


@dataclass(frozen=True)
class MonthFigures:
    """What suggestions are made from: per category, planned and spent so far and in all."""

    today: dt.date
    days_in_month: int
    planned_to_date: Mapping[str, Decimal]
    spent_to_date: Mapping[str, Decimal]
    planned_month: Mapping[str, Decimal]
    red_days: int
    forecast: Forecast


def suggestions(month: MonthFigures) -> dict[str, Any]:
    """Suggestions for the rest of the month, most urgent first.

    * every non-SACRED category at risk (forecast: pace at least 1.2 times the plan) → keep to
      what is left per day;
    * every non-SACRED category at least 25 % under its plan to date (and 10.00) → money that
      a rebalance could move;
    * red days so far → how many, and what the safe daily limit is now;
    * a projected balance > 0 → what would be left at this pace.
    ``confidence`` grows with the share of the month elapsed (0.30 on day 1, 0.95 at the end).
    """
    out: list[dict[str, Any]] = []
    days_left = month.days_in_month - month.today.day
    for risk in month.forecast.categories_at_risk:
        if cat.priority(risk.category) is cat.Priority.SACRED:
            continue  # rent paid on its due day is not a pace to worry about
        left = month.planned_month.get(risk.category, ZERO) - month.spent_to_date.get(
            risk.category, ZERO
        )
        per_day = to_cents(max(left, ZERO) / days_left) if days_left else ZERO
        out.append(
            {
                "type": "overspending_risk",
                "category": risk.category,
                "priority": "high",
                "amount": per_day,
                "message": f"{label(risk.category)} runs out in about "
                f"{risk.days_until_exhausted} days at this pace; keep to {per_day} a day.",
            }
        )
    for category in sorted(month.planned_to_date):
        planned, spent = month.planned_to_date[category], month.spent_to_date.get(category, ZERO)
        under = planned - spent
        if (
            cat.priority(category) is cat.Priority.SACRED
            or under < Decimal(10)
            or under < planned * SURPLUS_SHARE
        ):
            continue
        out.append(
            {
                "type": "surplus",
                "category": category,
                "priority": "low",
                "amount": under,
                "message": f"{label(category)} is {under} under plan so far; redistributing "
                "moves part of it to categories that ran over.",
            }
        )
    if month.red_days:
        safe = month.forecast.safe_daily_limit
        out.append(
            {
                "type": "red_days",
                "category": None,
                "priority": "medium",
                "amount": safe,
                "message": f"{month.red_days} day(s) over budget this month; "
                f"{max(safe, ZERO)} a day keeps the rest of the month on plan.",
            }
        )
    if month.forecast.status is ForecastStatus.ON_TRACK and month.forecast.projected_balance > 0:
        balance = month.forecast.projected_balance
        out.append(
            {
                "type": "savings_opportunity",
                "category": cat.SAVINGS,
                "priority": "low",
                "amount": balance,
                "message": f"At this pace {balance} is left at the end of the month; "
                "moving it to savings keeps it safe.",
            }
        )
    elapsed = Decimal(month.today.day) / Decimal(month.days_in_month)
    return {
        "suggestions": out,
        "total_count": len(out),
        "confidence": ratio(Decimal("0.30") + Decimal("0.65") * elapsed),
        "intelligent_insights": [
            {"message": s["message"], "type": s["type"], "priority": s["priority"]}
            for s in out
            if s["category"] is None or s["type"] != "surplus"
        ],
        "category_insights": [
            {
                "category": s["category"],
                "message": s["message"],
                "type": s["type"],
                "priority": s["priority"],
            }
            for s in out
            if s["category"] is not None
        ],
    }


def behavioral_allocation(
    total: Decimal,
    plan_shares: Mapping[str, Decimal],
    spent: Mapping[str, Decimal],
    counts: Mapping[str, int],
    *,
    learn: bool,
) -> dict[str, dict[str, Decimal]]:
    """Split ``total`` across plan categories by the plan blended with the user's behavior.

    A SACRED category keeps its plan share. Every other category's weight is half its plan share
    and half its share of the user's non-SACRED spending (when ``learn`` and there is any), then
    scaled into what the SACRED ones leave. Amounts sum to ``total`` exactly (largest
    remainder); confidence per category = 0.5 + 0.05 per transaction behind it, up to 0.95.
    """
    plan_total = sum(plan_shares.values(), ZERO)
    names = sorted(plan_shares)
    flexible = [c for c in names if cat.priority(c) is not cat.Priority.SACRED]
    flex_plan = sum((plan_shares[c] for c in flexible), ZERO)
    flex_spent = sum((spent.get(c, ZERO) for c in flexible), ZERO)
    weights: dict[str, Decimal] = {}
    for c in names:
        plan_share = plan_shares[c] / plan_total if plan_total else ZERO
        if c in flexible and learn and flex_spent > 0 and flex_plan > 0:
            behavior = spent.get(c, ZERO) / flex_spent * (flex_plan / plan_total)
            weights[c] = (plan_share + behavior) / 2
        else:
            weights[c] = plan_share
    amounts = split_largest_remainder(total, [weights[c] for c in names])
    out: dict[str, dict[str, Decimal]] = {}
    for c, amount in zip(names, amounts, strict=True):
        n = counts.get(c, 0) if learn else 0
        out[c] = {
            "amount": amount,
            "share": (HUNDRED * amount / total).quantize(TWO_PLACES) if total else ZERO,
            "planned_share": (HUNDRED * plan_shares[c] / plan_total).quantize(TWO_PLACES)
            if plan_total
            else ZERO,
            "confidence": ratio(min(Decimal("0.5") + Decimal("0.05") * n, MAX_CONFIDENCE)),
        }
    return out


def income_tier(monthly_income: Decimal) -> str:
    """The app's tiers: low below 3000, mid up to 7000, high above."""
    if monthly_income < LOW_INCOME_BELOW:
        return "low"
    return "mid" if monthly_income <= MID_INCOME_UP_TO else "high"


TIPS: Final = {
    "low": (
        "Cover needs first: keep housing, utilities and food within the plan before wants.",
        "Even a small automatic saving each month builds an emergency fund.",
    ),
    "mid": (
        "Aim for three to six months of expenses in an emergency fund.",
        "Review subscriptions: entertainment is where plans most often slip.",
    ),
    "high": (
        "Raise the savings share above 20 % once the emergency fund is complete.",
        "Plan large purchases as goals instead of letting them land on one day.",
    ),
}


def income_recommendations(plan: MonthlyPlan) -> dict[str, Any]:
    """The plan an income would get, as the budget settings screen shows it."""
    income = plan.total_income
    tier = income_tier(income)
    allocations = dict(sorted(plan.categories.items()))
    return {
        "monthly_income": income,
        "tier": tier,
        "method": plan.method,
        "allocations": allocations,
        "percentages": {
            c: (HUNDRED * a / income).quantize(TWO_PLACES) for c, a in allocations.items()
        },
        "savings_rate": (HUNDRED * plan.savings_goal / income).quantize(TWO_PLACES),
        "fixed_expenses_total": plan.fixed_expenses_total,
        "discretionary_total": plan.discretionary_total,
        "tips": list(TIPS[tier]),
    }
