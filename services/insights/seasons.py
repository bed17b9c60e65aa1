"""Seasonal patterns and behavioural insights from a user's month totals (pure functions)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

from services.insights.advice import advice_id, money

HOLIDAYS: Final[dict[str, tuple[int, ...]]] = {
    "christmas": (12,), "new_year": (1,), "summer_holidays": (7, 8), "easter": (4,),
    "back_to_school": (9,),
}  # fmt: skip


def _factor(value: Decimal, mean: Decimal) -> float:
    return float((value / mean).quantize(Decimal("0.01"), ROUND_HALF_UP)) if mean else 1.0


def seasonal(months: dict[tuple[int, int, str], Decimal], currency: str | None) -> dict[str, Any]:
    """Per calendar month (1..12) how spending compares with the user's average month, per
    category too; holidays' months; each category's seasonality and what to do about it."""
    totals: dict[int, Decimal] = {}
    per_category: dict[str, dict[int, Decimal]] = {}
    seen: set[tuple[int, int]] = set()
    for (year, month, category), amount in months.items():
        seen.add((year, month))
        totals[month] = totals.get(month, Decimal(0)) + amount
        per_category.setdefault(category, {})
        per_category[category][month] = per_category[category].get(month, Decimal(0)) + amount
    count = len(seen) or 1
    mean = sum(totals.values(), Decimal(0)) / count
    monthly = {
        str(m): _factor(totals.get(m, Decimal(0)), mean) if m in totals else 1.0
        for m in range(1, 13)
    }
    seasonality: dict[str, dict[str, float]] = {}
    out: dict[str, Any] = {}
    for category, by_month in sorted(per_category.items()):
        average = sum(by_month.values(), Decimal(0)) / count
        seasonality[category] = {
            str(m): _factor(by_month.get(m, Decimal(0)), average) for m in range(1, 13)
        }
        peak = max(by_month, key=lambda m: by_month[m])
        impact = round(max(seasonality[category].values()) - 1.0, 2)
        out[category] = {
            "impact_score": impact,
            "recommendations": [
                f"{category.replace('_', ' ').title()} peaks in month {peak} "
                f"({money(by_month[peak], currency)}): plan for it ahead."
            ]
            if impact > 0.2
            else [],
        }
    holidays = {
        name: round(sum(monthly[str(m)] for m in months_of) / len(months_of) - 1.0, 2)
        for name, months_of in HOLIDAYS.items()
    }
    return {"monthly_patterns": monthly, "category_seasonality": seasonality,
            "holiday_impact": holidays, **out}  # fmt: skip


def behavioral(
    this: dict[str, Any], before: dict[str, Any], currency: str | None, user: Any
) -> dict[str, Any]:
    """Insights on habits: weekend spending, a dominant category, a favourite merchant, and
    how the month moved — each with its figures and what to do."""
    insights: list[dict[str, Any]] = []

    def add(
        kind: str, title: str, message: str, category: str, impact: str, advice: list[str]
    ) -> None:
        insights.append({
            "id": advice_id(user, f"{this['year']}-{this['month']}:{kind}:{category}"),
            "type": kind, "title": title, "message": message, "category": category,
            "impact": impact, "confidence": 0.8, "actionable": bool(advice),
            "recommendations": advice, "related_patterns": [kind], "timeframe": "month",
        })  # fmt: skip

    if this["total_spent"] and this["weekend_share"] > 40:
        weekend = money(this["weekend_total"], currency)
        add("weekend_spending", "Weekends cost more",
            f"{this['weekend_share']:.0f}% of your spending ({weekend}) falls on weekends.",
            "all", "medium", ["Plan one no-spend weekend this month."])  # fmt: skip
    if this["by_category"] and this["by_category"][0]["percentage"] > 40:
        top = this["by_category"][0]
        add("category_concentration", f"{top['category'].replace('_', ' ').title()} dominates",
            f"{top['percentage']:.0f}% of the month went to {top['category'].replace('_', ' ')} "
            f"({money(top['amount'], currency)}).", top["category"], "high",
            [f"Set a weekly cap for {top['category'].replace('_', ' ')}."])  # fmt: skip
    if this["top_merchants"] and this["top_merchants"][0]["count"] >= 3:
        shop = this["top_merchants"][0]
        add("frequent_merchant", f"Regular at {shop['merchant']}",
            f"{shop['count']} visits to {shop['merchant']} ({money(shop['amount'], currency)}).",
            "all", "low", [])  # fmt: skip
    if before["total_spent"] and this["total_spent"] > before["total_spent"] * Decimal("1.15"):
        add("spending_increase", "Spending is up",
            f"{money(this['total_spent'], currency)} so far against "
            f"{money(before['total_spent'], currency)} last month.", "all", "high",
            ["Review the largest purchases of the month."])  # fmt: skip
    recommendations = [r for i in insights for r in i["recommendations"]]
    return {"insights": insights, "recommendations": recommendations}
