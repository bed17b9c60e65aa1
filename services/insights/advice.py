"""The offline advice engine: short advice written from the user's own figures (amounts,
categories, dates) — never canned text."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from contracts.budget import PLAN_CATEGORY_OF
from services.insights.analytics import CENT, ratio

#: Share of monthly income commonly advised as a ceiling, per plan category.
GUIDELINES: dict[str, Decimal] = {
    "housing": Decimal("0.30"), "food": Decimal("0.15"), "transportation": Decimal("0.15"),
    "entertainment": Decimal("0.07"), "shopping": Decimal("0.10"),
}  # fmt: skip
NOTABLE_CHANGE = 0.15


def money(value: Decimal, currency: str | None) -> str:
    """An amount as the advice prints it (``1,234.50 EUR``)."""
    text = f"{value.quantize(CENT, ROUND_HALF_UP):,.2f}"
    return f"{text} {currency}" if currency else text


def advice_id(user: uuid.UUID, key: str) -> str:
    """A stable id for one piece of advice (same figures, same id)."""
    return str(uuid.UUID(hashlib.sha256(f"{user}:{key}".encode()).hexdigest()[:32]))


def month_advice(
    this: dict[str, Any], last: dict[str, Any] | None, currency: str | None
) -> dict[str, str] | None:
    """The most telling thing about one month: its largest category and how it moved."""
    categories = this["by_category"]
    if not categories:
        return None
    top = categories[0]
    when = dt.date(this["year"], this["month"], 1).strftime("%B %Y")
    title = f"{top['category'].replace('_', ' ').title()} led your spending in {when}"
    text = (
        f"You spent {money(top['amount'], currency)} on {top['category'].replace('_', ' ')} "
        f"in {when}, {top['percentage']:.0f}% of your {money(this['total_spent'], currency)} total."
    )
    priority = "low"
    if last is not None:
        before = {c["category"]: c["amount"] for c in last["by_category"]}.get(top["category"])
        change = ratio(top["amount"], before) if before else None
        if change is not None and abs(change) >= NOTABLE_CHANGE:
            direction = "more" if change > 0 else "less"
            text += (
                f" That is {abs(change):.0%} {direction} than the month before "
                f"({money(before or Decimal(0), currency)})."
            )
            priority = "high" if change > 0 else "medium"
    if this.get("savings") is not None and this["savings"] < 0:
        text += f" Spending is {money(-this['savings'], currency)} above your income this month."
        priority = "high"
    return {"title": title, "text": text, "category": top["category"], "priority": priority}


def income_tips(this: dict[str, Any], income: Decimal | None, currency: str | None) -> list[str]:
    """Tips that compare each plan category's spending with a share of the user's income."""
    if not income:
        return [
            "Add your monthly income in your profile to see how each category compares with it."
        ]
    by_plan: dict[str, Decimal] = {}
    for row in this["by_category"]:
        plan = PLAN_CATEGORY_OF.get(row["category"], row["category"])
        by_plan[plan] = by_plan.get(plan, Decimal(0)) + row["amount"]
    tips = []
    for plan, ceiling in GUIDELINES.items():
        spent = by_plan.get(plan, Decimal(0))
        if spent > income * ceiling:
            tips.append(
                f"{plan.title()} takes {spent / income:.0%} of your {money(income, currency)} "
                f"income this month ({money(spent, currency)}); a common ceiling is {ceiling:.0%}, "
                f"{money(income * ceiling, currency)}."
            )
    savings = income - this["total_spent"]
    target = income * Decimal("0.20")
    if savings < target:
        tips.append(
            f"You have {money(max(savings, Decimal(0)), currency)} left from this month's income; "
            f"setting aside 20% would be {money(target, currency)}."
        )
    else:
        tips.append(
            f"You are on track to keep {money(savings, currency)} of your income this month "
            f"({savings / income:.0%})."
        )
    return tips
