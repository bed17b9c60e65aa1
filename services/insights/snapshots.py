"""A month's snapshot (pure): a 0..100 score from the user's own figures, its letter on the
published grade scale, the risk it implies, and a summary with the amounts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Final

from contracts.budget import grade
from services.insights.advice import money

#: Each component's weight; a component without data (no income, no earlier months, no
#: spending) is left out and the others carry the score.
WEIGHTS: Final = {"saving": 0.4, "habits": 0.3, "control": 0.3}
SAVING_TARGET: Final = 0.2
RISKS: Final = ((75, "low"), (55, "moderate"))


def clamp01(value: float) -> float:
    """``value`` held to [0, 1]."""
    return min(1.0, max(0.0, value))


def components(
    this: dict[str, Any], habits_score: float, usual: Decimal | None
) -> dict[str, float]:
    """saving: the savings rate against 20 %; habits: the month's habit score; control: the
    usual month (the last 3 with spending) against this one."""
    out: dict[str, float] = {}
    if this["income"]:
        out["saving"] = clamp01(float(this["savings_rate"] or 0) / SAVING_TARGET)
    if this["transaction_count"]:
        out["habits"] = clamp01(habits_score)
    if usual and this["total_spent"]:
        out["control"] = clamp01(float(usual / this["total_spent"]))
    return out


def snapshot(
    this: dict[str, Any], habits_score: float, usual: Decimal | None, currency: str | None
) -> dict[str, Any]:
    """The month's rating, risk, score, components and summary."""
    parts = components(this, habits_score, usual)
    when = dt.date(this["year"], this["month"], 1).strftime("%B %Y")
    if not parts:
        return {"score": None, "rating": "N/A", "risk": "unknown", "components": {},
                "summary": f"{when}: no spending or income recorded yet."}  # fmt: skip
    weight = sum(WEIGHTS[k] for k in parts)
    score = round(100 * sum(WEIGHTS[k] * v for k, v in parts.items()) / weight)
    risk = next((name for floor, name in RISKS if score >= floor), "high")
    text = f"{when}: {money(this['total_spent'], currency)} spent"
    if this["income"]:
        text += (
            f" of {money(this['income'], currency)} income, "
            f"{money(this['savings'], currency)} left ({this['savings_rate']:.0%})"
        )
    text += "."
    if this["by_category"]:
        top = this["by_category"][0]
        text += (
            f" {top['category'].replace('_', ' ').title()} was the largest category at "
            f"{money(top['amount'], currency)}."
        )
    if "control" in parts and usual is not None:
        direction = "above" if this["total_spent"] > usual else "at or below"
        text += f" Spending is {direction} your usual {money(usual, currency)} a month."
    return {"score": score, "rating": grade(score), "risk": risk,
            "components": {k: round(v, 4) for k, v in parts.items()}, "summary": text}  # fmt: skip
