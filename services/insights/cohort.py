"""Peers: income tiers (the app's five, income_service.dart) and how a user's month compares
with others in the tier — aggregates only, and none for a cohort smaller than ``MIN_COHORT``
(no figure could be traced back to a few people)."""

from __future__ import annotations

import statistics
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

from services.insights.advice import money

MIN_COHORT: Final = 5
#: (tier, lower bound of monthly income, name, range) — the app's thresholds.
TIERS: Final = (
    ("low", Decimal(0), "Essential Earner", "Under $3,000/month"),
    ("mid_low", Decimal(3000), "Rising Saver", "$3,000 - $4,800/month"),
    ("mid", Decimal(4800), "Growing Professional", "$4,800 - $7,200/month"),
    ("mid_high", Decimal(7200), "Established Professional", "$7,200 - $12,000/month"),
    ("high", Decimal(12000), "High Achiever", "Over $12,000/month"),
)


def tier_of(income: Decimal | None) -> tuple[str, Decimal, Decimal | None, str, str]:
    """The tier of a monthly income: key, bounds (upper None for the top), name, range."""
    value = income or Decimal(0)
    for index, (key, low, name, text) in enumerate(TIERS):
        high = TIERS[index + 1][1] if index + 1 < len(TIERS) else None
        if high is None or value < high:
            return key, low, high, name, text
    raise AssertionError("unreachable")


def classification(income: Decimal | None) -> dict[str, Any]:
    """``/cohort/income_classification``."""
    key, _, _, name, text = tier_of(income)
    return {
        "monthly_income": income or Decimal("0.00"),
        "tier": key,
        "tier_name": name,
        "range": text,
    }


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), ROUND_HALF_UP)


def comparison(
    mine: Decimal, mine_by_category: dict[str, Decimal], peers: dict[Any, Decimal],
    peers_by_category: dict[str, list[Decimal]], tier: str, currency: str | None,
) -> dict[str, Any]:  # fmt: skip
    """``/cohort/peer_comparison``: the user's month against the tier's (others only)."""
    size = len(peers)
    if size < MIN_COHORT:
        return {
            "tier": tier, "cohort_size": size, "your_spending": mine, "peer_average": None,
            "peer_median": None, "percentile": None, "categories": {},
            "insights": [f"Peer figures appear once {MIN_COHORT} people in your income group "
                         "have spending this month."],
        }  # fmt: skip
    totals = sorted(peers.values())
    average = _cents(sum(totals, Decimal(0)) / size)
    median = _cents(Decimal(statistics.median(totals)))
    below = sum(1 for t in totals if t < mine)
    percentile = round(100 * below / size)
    categories = {
        category: {
            "you": mine_by_category.get(category, Decimal("0.00")),
            "peer_average": _cents(sum(values, Decimal(0)) / size),
        }
        for category, values in sorted(peers_by_category.items())
    }
    insights = [
        f"You spent {money(mine, currency)} this month; people in your income group spent "
        f"{money(average, currency)} on average (median {money(median, currency)}).",
        f"You spent more than {percentile}% of them.",
    ]
    for category, figures in categories.items():
        if figures["you"] > figures["peer_average"] * Decimal("1.5") and figures["you"] > 0:
            insights.append(
                f"{category.replace('_', ' ').title()}: {money(figures['you'], currency)} "
                f"against {money(figures['peer_average'], currency)} for your peers."
            )
    return {
        "tier": tier, "cohort_size": size, "your_spending": mine, "peer_average": average,
        "peer_median": median, "percentile": percentile, "categories": categories,
        "insights": insights,
    }  # fmt: skip


def cohort_insights(compared: dict[str, Any]) -> dict[str, Any]:
    """``/cohort/insights``: rank and what the cohort's figures suggest."""
    size, percentile = compared["cohort_size"], compared["percentile"]
    if percentile is None:
        return {"cohort_size": size, "your_rank": None, "percentile": None,
                "top_insights": compared["insights"], "recommendations": []}  # fmt: skip
    rank = size - round(percentile * size / 100) + 1  # 1 = spends least
    recommendations = [
        line.replace(":", " is above your peers:", 1) for line in compared["insights"][2:]
    ] or ["Your spending is in line with your peers: keep your categories where they are."]
    return {
        "cohort_size": size,
        "your_rank": rank,
        "percentile": 100 - percentile,
        "top_insights": compared["insights"][:2],
        "recommendations": recommendations,
    }
