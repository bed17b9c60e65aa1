"""Goals the caller could set or change, from their income, their last months' spending and
their goals (pure, exact money; docs/goals.md lists the rules).

- Average month: the live spending of the last 3 full local months that had any, per month.
- Free money a month: income − average month (unknown without an income).
- Smart recommendations: an emergency fund of 3 average months (rounded up to 10) when no open
  Emergency goal exists, saved at 30 % of the free money (at least 1/24 of it a month); a
  yearly saving of 20 % of the free money when it is positive and no open Savings or Investment
  goal exists; a travel fund from a quarter of the biggest discretionary category.
- Adjustments: an active goal whose contribution falls short of its monthly need → the need;
  when the open goals' needs exceed the free money, the reason says so.
- Opportunities: up to 3 discretionary categories of ≥ 20 a month: a fifth of their average
  put towards a goal, 12 months' worth as the target.
- Income-based ideas: an emergency fund of 3 (income < 3,000), 4 (≤ 7,000) or 6 months of 70 %
  of the income at 10/15/20 % of it a month, and a yearly investment of 5/10/15 %.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_CEILING, Decimal
from typing import Any

from services.ledger.goals.rules import (
    CENT,
    ZERO,
    add_months,
    health,
    money,
    monthly_needed,
    progress_of,
    up_to_cent,
)

DISCRETIONARY = (
    "dining", "entertainment", "shopping", "coffee", "clothing", "subscriptions", "gifts",
    "travel",
)  # fmt: skip
#: The goal category a discretionary category's savings go to.
GOAL_FOR = {"dining": "Travel", "entertainment": "Travel", "travel": "Travel",
            "shopping": "Savings", "clothing": "Savings"}  # fmt: skip
OPEN = ("active", "paused")
MIN_CATEGORY_MONTH = Decimal("20")


def tens_up(value: Decimal) -> Decimal:
    """Rounded up to a multiple of 10 (a target reads better round)."""
    return ((value / 10).quantize(Decimal(1), rounding=ROUND_CEILING) * 10).quantize(CENT)


def average_month(months: dict[tuple[str, str], Decimal]) -> Decimal:
    """The mean total of the months that had spending."""
    totals: dict[str, Decimal] = {}
    for (month, _), amount in months.items():
        totals[month] = totals.get(month, ZERO) + amount
    return up_to_cent(sum(totals.values(), ZERO) / len(totals)) if totals else ZERO


def by_category(months: dict[tuple[str, str], Decimal]) -> dict[str, Decimal]:
    """Each category's mean over the months that had spending."""
    count = len({month for month, _ in months}) or 1
    out: dict[str, Decimal] = {}
    for (_, category), amount in months.items():
        out[category] = out.get(category, ZERO) + amount
    return {c: up_to_cent(v / count) for c, v in out.items()}


def free_money(income: Decimal | None, average: Decimal) -> Decimal | None:
    """Income left after the average month."""
    return None if income is None else income - average


def idea(title: str, reasoning: str, category: str, target: Decimal, monthly: Decimal,
         priority: str, today: dt.date) -> dict[str, Any]:  # fmt: skip
    """A goal the create form can take as it is."""
    months = max(math.ceil(target / monthly), 1) if monthly > 0 else 12
    return {
        "title": title, "description": reasoning, "reasoning": reasoning, "category": category,
        "target_amount": target, "monthly_contribution": monthly, "priority": priority,
        "suggested_deadline": add_months(today, months).isoformat(),
    }  # fmt: skip


def has_open(goals: list[dict[str, Any]], *categories: str) -> bool:
    """Whether an open goal of one of the categories exists."""
    return any(g["status"] in OPEN and g["category"] in categories for g in goals)


def recommendations(
    income: Decimal | None,
    months: dict[tuple[str, str], Decimal],
    goals: list[dict[str, Any]],
    today: dt.date,
    currency: str | None,
) -> dict[str, Any]:
    """Smart recommendations from the caller's numbers."""
    average = average_month(months)
    free = free_money(income, average)
    out: list[dict[str, Any]] = []
    if average > 0 and not has_open(goals, "Emergency"):
        target = tens_up(average * 3)
        monthly = up_to_cent(max(free * Decimal("0.3") if free and free > 0 else ZERO,
                                 target / 24))  # fmt: skip
        out.append(idea(
            "Emergency fund",
            f"Three of your average months ({money(average, currency)} each) put aside cover "
            "a lost income or a large repair.",
            "Emergency", target, monthly, "high", today,
        ))  # fmt: skip
    if free is not None and free > 0 and not has_open(goals, "Savings", "Investment"):
        monthly = up_to_cent(free * Decimal("0.2"))
        out.append(idea(
            "Yearly savings",
            f"You keep about {money(free, currency)} a month after your average spending; "
            f"saving a fifth of it ({money(monthly, currency)}) builds "
            f"{money(monthly * 12, currency)} in a year.",
            "Savings", monthly * 12, monthly, "medium", today,
        ))  # fmt: skip
    spent = by_category(months)
    optional = sorted(((spent[c], c) for c in DISCRETIONARY if spent.get(c, ZERO) > 0),
                      reverse=True)  # fmt: skip
    if optional and not has_open(goals, "Travel"):
        amount, category = optional[0]
        monthly = up_to_cent(amount / 4)
        name = category.replace("_", " ")
        out.append(idea(
            "Travel fund",
            f"A quarter of your {name} spending ({money(amount, currency)} a month) is "
            f"{money(monthly, currency)} a month: {money(monthly * 6, currency)} in six months.",
            "Travel", monthly * 6, monthly, "low", today,
        ))  # fmt: skip
    return {"recommendations": out, "monthly_income": income,
            "average_monthly_spending": average, "free_monthly": free}  # fmt: skip


def adjustments(
    goals: list[dict[str, Any]],
    income: Decimal | None,
    months: dict[tuple[str, str], Decimal],
    today: dt.date,
    currency: str | None,
) -> list[dict[str, Any]]:
    """Active goals whose contribution falls short of their date."""
    free = free_money(income, average_month(months))
    needs = {str(g["id"]): monthly_needed(g, today) for g in goals if g["status"] == "active"}
    total = sum((n for n in needs.values() if n), ZERO)
    out = []
    for goal in goals:
        need = needs.get(str(goal["id"]))
        current = goal["monthly_contribution"] or ZERO
        if not need or current >= need or goal["target_date"] is None:
            continue
        reason = (
            f"To reach {money(goal['target_amount'], currency)} by "
            f"{goal['target_date'].isoformat()} you need {money(need, currency)} a month; "
            f"you plan {money(current, currency)}."
        )
        if free is not None and total > free:
            reason += (
                f" Your goals need {money(total, currency)} a month, more than the "
                f"{money(max(free, ZERO), currency)} you keep: a later date may fit better."
            )
        out.append({
            "goal_id": str(goal["id"]), "goal_title": goal["title"], "current_monthly": current,
            "suggested_monthly": need, "reason": reason,
        })  # fmt: skip
    return out


def opportunities(months: dict[tuple[str, str], Decimal], currency: str | None
                  ) -> list[dict[str, Any]]:  # fmt: skip
    """Discretionary spending that could become saving."""
    spent = by_category(months)
    found = sorted(((spent[c], c) for c in DISCRETIONARY
                    if spent.get(c, ZERO) >= MIN_CATEGORY_MONTH), reverse=True)  # fmt: skip
    out = []
    for amount, category in found[:3]:
        monthly = up_to_cent(amount / 5)
        name = category.replace("_", " ")
        out.append({
            "suggested_goal": f"Save from {name}",
            "reason": f"You spend about {money(amount, currency)} a month on {name}; a fifth "
                      f"of it is {money(monthly, currency)} a month.",
            "category": GOAL_FOR.get(category, "Savings"), "spending_category": category,
            "target_amount": monthly * 12, "monthly_contribution": monthly,
        })  # fmt: skip
    return out


def tier(income: Decimal) -> tuple[int, Decimal, Decimal]:
    """Emergency months, emergency share and investment share of an income (the app's tiers:
    below 3,000, up to 7,000, above)."""
    if income < 3000:
        return 3, Decimal("0.10"), Decimal("0.05")
    if income <= 7000:
        return 4, Decimal("0.15"), Decimal("0.10")
    return 6, Decimal("0.20"), Decimal("0.15")


def income_ideas(income: Decimal | None, today: dt.date, currency: str | None
                 ) -> list[dict[str, Any]]:  # fmt: skip
    """Goals sized to the income (none without one)."""
    if not income or income <= 0:
        return []
    months, share, invest = tier(income)
    target = tens_up(income * Decimal("0.7") * months)
    monthly = up_to_cent(income * share)
    yearly = up_to_cent(income * invest)
    return [
        idea("Emergency fund",
             f"{months} months of your essential costs (70 % of your "
             f"{money(income, currency)} income) at {share * 100:.0f} % of it a month.",
             "Emergency", target, monthly, "high", today),
        idea("Investment fund",
             f"{invest * 100:.0f} % of your income ({money(yearly, currency)} a month) for "
             "a year.",
             "Investment", yearly * 12, yearly, "medium", today),
    ]  # fmt: skip


PRIORITY_ORDER = {"high": 0, "medium": 1, "low": 2}


def analysis(
    goals: list[dict[str, Any]],
    income: Decimal | None,
    months: dict[tuple[str, str], Decimal],
    today: dt.date,
    currency: str | None,
) -> dict[str, Any]:
    """All the caller's open goals against their money: what they need a month, what is
    planned, what the free money allows, and which to fund first (priority, then date)."""
    average = average_month(months)
    free = free_money(income, average)
    open_goals = sorted(
        (g for g in goals if g["status"] in OPEN),
        key=lambda g: (PRIORITY_ORDER.get(g["priority"], 1), g["target_date"] or dt.date.max),
    )
    rows = []
    for goal in open_goals:
        state = health(goal, today, currency)
        rows.append({
            "id": str(goal["id"]), "title": goal["title"], "category": goal["category"],
            "priority": goal["priority"], "status": goal["status"],
            "progress": progress_of(goal["saved_amount"], goal["target_amount"]),
            "saved_amount": goal["saved_amount"], "target_amount": goal["target_amount"],
            "monthly_contribution": goal["monthly_contribution"],
            "monthly_needed": state["monthly_needed"], "on_track": state["on_track"],
            "months_left": state["months_left"],
            "predicted_completion_date": state["predicted_completion_date"],
        })  # fmt: skip
    target = sum((g["target_amount"] for g in open_goals), ZERO)
    saved = sum((g["saved_amount"] for g in open_goals), ZERO)
    planned = sum((g["monthly_contribution"] or ZERO for g in open_goals
                   if g["status"] == "active"), ZERO)  # fmt: skip
    needed = sum((r["monthly_needed"] or ZERO for r in rows), ZERO)
    completed = sum(1 for g in goals if g["status"] == "completed")
    if not open_goals:
        summary = (
            f"No open goals{f' ({completed} completed)' if completed else ''}."
            + (f" You keep about {money(free, currency)} a month after spending."
               if free is not None and free > 0 else "")
        )  # fmt: skip
    else:
        summary = (
            f"{len(open_goals)} open goal{'s' if len(open_goals) != 1 else ''}: "
            f"{money(saved, currency)} of {money(target, currency)} saved "
            f"({progress_of(saved, target):g}%). You plan {money(planned, currency)} a month"
            + (f"; their dates need {money(needed, currency)}" if needed else "")
            + (f", out of the {money(max(free, ZERO), currency)} you keep after spending"
               if free is not None else "")
            + "."
        )  # fmt: skip
    advice = [a["reason"] for a in adjustments(goals, income, months, today, currency)]
    # Planned money is only that of active goals, so there is a row to name when it exceeds.
    if rows and free is not None and planned > max(free, ZERO):
        advice.append(
            f"Your planned contributions ({money(planned, currency)}) exceed what you keep "
            f"after spending ({money(max(free, ZERO), currency)}): fund "
            f"{rows[0]['title']!r} first."
        )
    behind = [r["title"] for r in rows if not r["on_track"]]
    if behind:
        advice.append(f"Behind plan: {', '.join(behind)}.")
    return {
        "summary": summary, "goals": rows, "open_goals": len(open_goals),
        "completed_goals": completed, "total_target_amount": target,
        "total_saved_amount": saved, "monthly_planned": planned, "monthly_needed": needed,
        "monthly_income": income, "average_monthly_spending": average, "free_monthly": free,
        "on_track": not behind, "recommendations": advice,
    }  # fmt: skip
