"""More behaviour figures (pure): the forecast with its risks, progress over months, one
category's behaviour, recommendations and advice on an expense being entered."""

from __future__ import annotations

import statistics
from collections import defaultdict
from decimal import Decimal
from typing import Any, Final

from services.insights import engine
from services.insights.advice import money
from services.insights.behavior import WEEKDAYS as DAYS
from services.insights.behavior import ZERO, cents, habits, month_trend, name, shares, weekday_of

VOLATILE: Final = Decimal("0.5")
UNUSUAL_TIMES: Final = Decimal("2")


def predictions(
    daily: list[dict[str, Any]],
    window: int,
    month_rows: list[dict[str, Any]],
    income: Decimal | None,
    currency: str | None,
) -> dict[str, Any]:
    """``/behavior/predictions``: the next 7 and 30 days from the last ``window`` local days'
    sums per category (``daily``), what trimming would keep, and the risks that could push
    spending over the forecast."""
    month = engine.prediction(daily, 30, window)
    week = engine.prediction(daily, 7, window)
    by_category: dict[str, Decimal] = defaultdict(Decimal)
    for r in month_rows:
        by_category[r["category"]] += r["amount"]
    rows = [{"category": c, "amount": a} for c, a in by_category.items()]
    potential = engine.savings(rows, currency)["potential_savings"]
    predicted: Decimal = month["predicted_amount"]
    risks: list[dict[str, str]] = []
    if income and predicted > income:
        risks.append({"factor": f"The forecast {money(predicted, currency)} is above your income "
                                f"of {money(income, currency)}", "impact": "high"})  # fmt: skip
    if predicted and month["upper_bound"] - predicted > predicted * VOLATILE:
        reach = money(month["upper_bound"], currency)
        risks.append({"factor": f"Day-to-day spending varies: the next 30 days could reach "
                                f"{reach}", "impact": "medium"})  # fmt: skip
    _, weekend, impulse = habits(month_rows)
    if weekend > 0.45:
        risks.append({"factor": f"{weekend:.0%} of this month's spending was on weekends",
                      "impact": "medium"})  # fmt: skip
    if impulse > 0.3:
        risks.append({"factor": f"{impulse:.0%} of this month's purchases were small and "
                                "discretionary", "impact": "low"})  # fmt: skip
    insights = [
        f"At your pace of the last {window} days you would spend {money(predicted, currency)} "
        f"in the next 30 days and {money(week['predicted_amount'], currency)} in the next 7."
    ]
    if potential:
        insights.append(
            f"Trimming discretionary spending by a fifth keeps {money(potential, currency)}."
        )
    return {
        "next_week_spending": week["predicted_amount"],
        "next_month_spending": predicted,
        "confidence": float(month["confidence"]),
        "recommended_budget": cents(max(ZERO, predicted - potential)),
        "savings_potential": potential,
        "risk_factors": risks,
        "insights": insights,
    }


def habit_advice(found: dict[str, Any], currency: str | None) -> list[str]:
    """What to change, from ``behavior.analysis``'s figures."""
    out = []
    if found["impulse_rate"] > 0.3:
        out.append(f"Wait a day before small discretionary buys: {found['impulse_rate']:.0%} of "
                   "this month's purchases were one.")  # fmt: skip
    if found["weekend_share"] > 0.45:
        out.append(f"Set a weekend cap: {found['weekend_share']:.0%} of this month's spending "
                   "was on Saturdays and Sundays.")  # fmt: skip
    if found["top_categories"]:
        top = found["top_categories"][0]
        out.append(f"Give {name(top['category'])} a monthly budget: "
                   f"{money(top['amount'], currency)} so far this month.")  # fmt: skip
    return out


def month_figures(found: dict[str, dict[str, Any]], months: list[str]) -> list[dict[str, Any]]:
    """Per local month ``YYYY-MM`` (all of ``months``, oldest first) from the month sums
    (``Reads.month_habits``): total, purchases, discretionary share and impulse rate."""
    out = []
    for key in months:
        mine = found.get(key, {})
        total, count = mine.get("total", ZERO), int(mine.get("count", 0))
        optional, impulse = mine.get("optional", ZERO), int(mine.get("impulse", 0))
        out.append({
            "month": key, "total_spent": cents(total), "transaction_count": count,
            "discretionary_share": round(float(optional / total), 4) if total else 0.0,
            "impulse_rate": round(impulse / count, 4) if count else 0.0,
        })  # fmt: skip
    return out


def direction(old: float, new: float, lower_is_better: bool = True) -> str:
    """up when the figure moved the good way, down when the bad way, else stable."""
    if abs(new - old) <= max(abs(old) * 0.05, 1e-9):
        return "stable"
    return "up" if (new < old) == lower_is_better else "down"


def progress(
    figures: list[dict[str, Any]], income: Decimal | None, currency: str | None
) -> dict[str, Any]:
    """``/behavior/progress``: the last month with data against the first, scored 0..100."""
    active = [f for f in figures if f["transaction_count"]]
    base = {"months_tracked": len(figures), "monthly_breakdown": figures}
    if not active:
        return {**base, "overall_score": 0, "metrics": [], "improvements": [],
                "progress_message": "No spending recorded yet in these months."}  # fmt: skip
    first, last = active[0], active[-1]
    metrics = [
        {"name": "Monthly spending", "value": float(last["total_spent"]),
         "trend": direction(float(first["total_spent"]), float(last["total_spent"]))},
        {"name": "Discretionary share", "value": round(last["discretionary_share"] * 100, 1),
         "trend": direction(first["discretionary_share"], last["discretionary_share"])},
        {"name": "Impulse purchases", "value": round(last["impulse_rate"] * 100, 1),
         "trend": direction(first["impulse_rate"], last["impulse_rate"])},
    ]  # fmt: skip
    parts = [1 - last["discretionary_share"], 1 - last["impulse_rate"]]
    if income:
        rate = float((income - last["total_spent"]) / income)
        first_rate = float((income - first["total_spent"]) / income)
        metrics.append({"name": "Savings rate", "value": round(rate * 100, 1),
                        "trend": direction(first_rate, rate, lower_is_better=False)})  # fmt: skip
        parts.append(min(1.0, max(0.0, rate / 0.2)))
    if len(active) > 1:
        parts.append(1.0 if last["total_spent"] <= first["total_spent"] else 0.5)
    improvements = [
        f"{m['name']} improved since {first['month']}" for m in metrics if m["trend"] == "up"
    ]
    change = last["total_spent"] - first["total_spent"]
    message = f"{last['month']}: {money(last['total_spent'], currency)} spent" + (
        f", {money(abs(change), currency)} {'less' if change < 0 else 'more'} than in "
        f"{first['month']}."
        if len(active) > 1 and change
        else "."
    )
    return {**base, "overall_score": round(100 * statistics.fmean(parts)), "metrics": metrics,
            "improvements": improvements, "progress_message": message}  # fmt: skip


def category_insights(
    category: str,
    period: str,
    month_rows: list[dict[str, Any]],
    usual_month: Decimal | None,
    currency: str | None,
) -> dict[str, Any]:
    """``/behavior/category/{c}``: the month in one category against the user's usual month."""
    mine = [r for r in month_rows if r["category"] == category]
    total = sum((r["amount"] for r in mine), ZERO)
    everything = sum((r["amount"] for r in month_rows), ZERO)
    merchants: dict[str, list[Decimal]] = defaultdict(list)
    for r in mine:
        if (r["merchant"] or "").strip():
            merchants[r["merchant"].strip()].append(r["amount"])
    top = sorted(merchants.items(), key=lambda kv: (-len(kv[1]), -sum(kv[1]), kv[0]))[:3]
    days: dict[str, Decimal] = defaultdict(Decimal)
    for r in mine:
        days[weekday_of(r)] += r["amount"]
    label = name(category)
    if usual_month:
        score = round(min(1.0, float(usual_month / total)) if total else 1.0, 2)
        off = (total - usual_month) / usual_month
        message = (
            f"You spent {money(total, currency)} on {label}, {abs(off):.0%} "
            f"{'above' if off > 0 else 'below'} your usual {money(usual_month, currency)} a month"
        )
    else:
        score, message = (
            1.0,
            f"You spent {money(total, currency)} on {label}: no earlier months yet",
        )
    advice = []
    if mine:
        advice.append(
            f"Plan {money(max(total, usual_month or ZERO), currency)} for {label} next month."
        )
    if top and len(top[0][1]) >= 3:
        advice.append(f"{top[0][0]} is where most of your {label} purchases happen.")
    return {
        "category": category,
        "period": period,
        "total_spent": cents(total),
        "average_spending": cents(total / len(mine)) if mine else ZERO,
        "frequency": len(mine),
        "share_of_spending": round(float(total / everything), 4) if everything else 0.0,
        "trend": month_trend(total, usual_month),
        "day_patterns": shares(days, DAYS),
        "top_merchants": [
            {"merchant": m, "count": len(a), "amount": cents(sum(a, ZERO))} for m, a in top
        ],
        "goal_alignment": {"alignment_score": score, "message": message},
        "recommendations": advice,
    }


def expense_suggestions(
    category: str | None,
    amount: Decimal | None,
    history: list[dict[str, Any]],
    currency: str | None,
) -> dict[str, Any]:
    """``/behavior/expense_suggestions``: how an expense being entered compares with the
    user's own purchases in its category."""
    amounts = [r["amount"] for r in history if category and r["category"] == category]
    usual = cents(statistics.median(amounts)) if amounts else None
    unusual = bool(usual and amount is not None and amount > usual * UNUSUAL_TIMES)
    tips = []
    if category and usual is not None:
        tips.append(f"Your usual {name(category)} purchase is {money(usual, currency)} "
                    f"({len(amounts)} in the last 90 days).")  # fmt: skip
        if unusual and amount is not None:
            tips.append(
                f"{money(amount, currency)} is {amount / usual:.1f}x that: worth a second look."
            )
    elif category:
        tips.append(f"This is your first {name(category)} purchase in the last 90 days.")
    else:
        tips.append("Pick a category to compare this expense with your usual purchases.")
    return {"suggested_category": category, "category_average": usual, "is_unusual": unusual,
            "suggestions": tips}  # fmt: skip


def profile(
    found: dict[str, Any], income: Decimal | None, cluster: str | None, currency: str | None
) -> dict[str, Any]:
    """``/ai/profile``: the month's habits (``behavior.analysis``) as traits, strengths and
    what to work on, each with the user's figures."""
    weekend, impulse, total = found["weekend_share"], found["impulse_rate"], found["total_spent"]
    traits = [t["description"] for t in found["traits"]]
    strengths: list[str] = []
    areas: list[str] = []
    if found["transactions"]:
        (strengths if impulse < 0.15 else areas).append(
            f"Small impulse purchases: {impulse:.0%} of this month's purchases"
        )
        (strengths if weekend <= 0.35 else areas).append(
            f"Weekend spending: {weekend:.0%} of this month's money"
        )
    if income:
        kept = income - total
        (strengths if kept >= income * Decimal("0.2") else areas).append(
            f"Kept {money(cents(kept), currency)} of your {money(income, currency)} income so far"
        )
    return {
        "period": found["period"],
        "spending_personality": found["spending_personality"],
        "behavioral_score": found["behavioral_score"],
        "cluster": cluster,
        "key_traits": traits,
        "key_strengths": strengths,
        "strengths": strengths,
        "improvement_areas": areas,
        "recommended_strategies": habit_advice(found, currency),
    }
