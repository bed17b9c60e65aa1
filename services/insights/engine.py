"""The offline advice engine's figures: anomalies (robust z-scores over the user's own
history), a 30-day prediction with an interval, weekly comparison and savings potential —
every sentence carries the user's own amounts, categories and dates."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

from services.insights.advice import money
from services.insights.analytics import CENT, ratio

ANOMALY_Z: Final = 3.5
MIN_HISTORY: Final = 4
DISCRETIONARY: Final = ("dining", "coffee", "entertainment", "shopping", "clothing",
                        "subscriptions", "gifts", "food")  # fmt: skip
SAVING_SHARE: Final = Decimal("0.20")


def _cents(value: Decimal | float) -> Decimal:
    return Decimal(str(value)).quantize(CENT, ROUND_HALF_UP)


def anomalies(
    rows: list[dict[str, Any]],
    spread: dict[str, tuple[Decimal, Decimal, int]],
    zone: dt.tzinfo,
    currency: str | None,
) -> list[dict[str, Any]]:
    """The ``rows`` far above the user's usual amount in their category: modified z-score
    over the category's history's median and MAD (``spread``: median, MAD, count), each with
    a reason."""
    found = []
    for row in rows:
        if row["category"] not in spread:
            continue
        median, mad, count = spread[row["category"]]
        if count < MIN_HISTORY:
            continue
        spread_of = mad if mad > 0 else max(median * Decimal("0.05"), CENT)
        score = float(Decimal("0.6745") * (row["amount"] - median) / spread_of)
        if score < ANOMALY_Z:
            continue
        times = row["amount"] / median if median else Decimal(0)
        category = row["category"].replace("_", " ")
        day = row["spent_at"].astimezone(zone).date()
        found.append(
            {
                "id": str(row["id"]),
                "type": "unusual_amount",
                "category": row["category"],
                "description": (
                    f"{money(row['amount'], currency)} on {category} on {day.isoformat()} is "
                    f"{times:.1f}x your usual {money(median, currency)} for {category}"
                ),
                "date": day.isoformat(),
                "amount": row["amount"],
                "expected_amount": _cents(median),
                "anomaly_score": round(score, 2),
                "merchant": row["merchant"],
                "possible_causes": [
                    f"a one-off purchase at {row['merchant']}"
                    if row["merchant"]
                    else "a one-off purchase",
                    f"several {category} purchases paid at once",
                ],
                "confidence": round(min(0.99, 0.5 + score / 20), 2),
            }
        )
    return sorted(found, key=lambda a: -a["anomaly_score"])


def prediction(daily_rows: list[dict[str, Any]], days: int, window: int) -> dict[str, Any]:
    """Spending over the next ``days`` per category from the last ``window`` local days' sums
    per category and day (``daily_rows``), with a ±1.96σ interval from the day-to-day
    variation."""
    daily: dict[str, dict[dt.date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in daily_rows:
        daily[row["category"]][row["date"]] += row["amount"]
    predictions: dict[str, Any] = {}
    total = Decimal(0)
    variance = 0.0
    for category, days_spent in sorted(daily.items()):
        series = [float(days_spent.get(d, 0)) for d in sorted(days_spent)]
        per_day = Decimal(sum(days_spent.values())) / window
        amount = _cents(per_day * days)
        sigma = statistics.pstdev(series + [0.0] * (window - len(series))) if series else 0.0
        spread = 1.96 * sigma * math.sqrt(days)
        active = len(days_spent)
        confidence = round(min(0.95, 0.3 + active / window), 2)
        predictions[category] = {
            "predicted_amount": amount,
            "lower_bound": _cents(max(0.0, float(amount) - spread)),
            "upper_bound": _cents(float(amount) + spread),
            "confidence": confidence,
            "influencing_factors": [
                f"{money(_cents(per_day), None)} a day on average over the last {window} days",
                f"spending on {active} of those {window} days",
            ],
        }
        total += amount
        variance += (sigma**2) * days
    spread = 1.96 * math.sqrt(variance)
    confidences = [p["confidence"] for p in predictions.values()]
    return {
        "days_ahead": days,
        "predicted_amount": _cents(total),
        "lower_bound": _cents(max(0.0, float(total) - spread)),
        "upper_bound": _cents(float(total) + spread),
        "confidence": round(statistics.fmean(confidences), 2) if confidences else 0.0,
        "predictions": predictions,
    }


def weekly(
    this_week: Decimal, last_week: Decimal, top: str | None, currency: str | None
) -> dict[str, Any]:
    """This local week against the last, in one sentence, and the direction."""
    change = ratio(this_week, last_week)
    if change is None:
        trend = "new" if this_week else "none"
        text = f"You spent {money(this_week, currency)} this week."
    else:
        trend = "up" if change > 0.05 else "down" if change < -0.05 else "stable"
        direction = "more" if change > 0 else "less"
        text = (
            f"You spent {money(this_week, currency)} this week, {abs(change):.0%} {direction} "
            f"than last week ({money(last_week, currency)})."
        )
    if top:
        text += f" Most of it went to {top.replace('_', ' ')}."
    return {
        "insights": text,
        "trend": trend,
        "this_week": this_week,
        "last_week": last_week,
        "change": change,
    }


def savings(by_category: list[dict[str, Any]], currency: str | None) -> dict[str, Any]:
    """What trimming discretionary categories by a fifth would keep this month."""
    suggestions = []
    potential = Decimal(0)
    for row in by_category:
        if row["category"] not in DISCRETIONARY:
            continue
        cut = _cents(row["amount"] * SAVING_SHARE)
        if cut <= 0:
            continue
        potential += cut
        name, spent = row["category"].replace("_", " "), money(row["amount"], currency)
        suggestions.append(
            f"Cutting {name} by 20% (of {spent}) keeps {money(cut, currency)} this month."
        )
    if not suggestions:
        suggestions.append("No discretionary spending this month: nothing to trim yet.")
    return {"potential_savings": _cents(potential), "suggestions": suggestions}
