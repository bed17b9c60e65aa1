"""The Goals tab's figures, from a goal's row and the user's own numbers (pure, exact money).

Rules (docs/goals.md):
- progress = saved / target × 100, capped at 100; remaining = max(target − saved, 0).
- overdue: active or paused with a target date before the user's local today; due soon: active
  with a target date within the next 30 days (today included).
- months left: whole months from today to the target date, rounded up (at least 1 while the
  date is ahead, 0 once it passed); needed a month = remaining / months left, rounded up to the
  cent (the whole remaining once the date passed).
- on track: completed; or active with a contribution ≥ the monthly need (no target date: any
  contribution). A paused goal is not on track.
- health score 0..100: 40 × progress share + 60 × pace, pace = contribution / need capped at 1
  (no date: 1 with a contribution, else 1/3), halved while paused, 0 when overdue; 100 when
  completed.
- predicted completion: today + ⌈remaining / contribution⌉ months, when there is a contribution.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_CEILING, Decimal
from typing import Any

from contracts.goals import DUE_SOON_DAYS
from shared.dates import add_months as add_months  # the goals' month arithmetic

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
DAYS_PER_MONTH = Decimal("30.4375")


def money(value: Decimal, currency: str | None = None) -> str:
    """An amount as the sentences show it."""
    text = f"{value.quantize(CENT):,.2f}"
    return f"{text} {currency}" if currency else text


def up_to_cent(value: Decimal) -> Decimal:
    """Rounded up to the cent (a monthly need is never short)."""
    return value.quantize(CENT, rounding=ROUND_CEILING)


def progress_of(saved: Decimal, target: Decimal) -> float:
    """Saved over target in percent, 0..100."""
    if target <= 0:
        return 0.0
    return round(float(min(saved / target * 100, Decimal(100))), 2)


def is_overdue(row: dict[str, Any], today: dt.date) -> bool:
    """An open goal whose target date has passed."""
    day = row["target_date"]
    return row["status"] in ("active", "paused") and day is not None and day < today


def is_due_soon(row: dict[str, Any], today: dt.date) -> bool:
    """An active goal due within the next 30 days."""
    day = row["target_date"]
    return (
        row["status"] == "active"
        and day is not None
        and today <= day <= today + dt.timedelta(days=DUE_SOON_DAYS)
    )


def goal_view(row: dict[str, Any], today: dt.date) -> dict[str, Any]:
    """A goal as the app reads it (goal.dart)."""
    saved, target = row["saved_amount"], row["target_amount"]
    day: dt.date | None = row["target_date"]
    completed = row["completed_at"]
    return {
        "id": str(row["id"]),
        "user_id": str(row["user_id"]),
        "title": row["title"],
        "description": row["description"],
        "category": row["category"],
        "target_amount": target,
        "saved_amount": saved,
        "current_amount": saved,
        "monthly_contribution": row["monthly_contribution"],
        "status": row["status"],
        "progress": progress_of(saved, target),
        "target_date": day.isoformat() if day else None,
        "deadline": day.isoformat() if day else None,
        "created_at": row["created_at"].isoformat(),
        "last_updated": row["updated_at"].isoformat(),
        "completed_at": completed.isoformat() if completed else None,
        "priority": row["priority"],
        "remaining_amount": max(target - saved, ZERO),
        "is_completed": row["status"] == "completed",
        "is_overdue": is_overdue(row, today),
    }


def statistics(rows: list[dict[str, Any]], today: dt.date) -> dict[str, Any]:
    """Counts, the completion rate and average progress (0..100) and the totals; cancelled
    goals count in the totals of goals only."""
    count = {s: sum(1 for r in rows if r["status"] == s) for s in
             ("active", "completed", "paused", "cancelled")}  # fmt: skip
    kept = [r for r in rows if r["status"] != "cancelled"]
    progress = [progress_of(r["saved_amount"], r["target_amount"]) for r in kept]
    return {
        "total_goals": len(rows),
        "active_goals": count["active"],
        "completed_goals": count["completed"],
        "paused_goals": count["paused"],
        "cancelled_goals": count["cancelled"],
        "completion_rate": round(count["completed"] / len(rows) * 100, 1) if rows else 0.0,
        "average_progress": round(sum(progress) / len(progress), 1) if progress else 0.0,
        "total_target_amount": sum((r["target_amount"] for r in kept), ZERO),
        "total_saved_amount": sum((r["saved_amount"] for r in kept), ZERO),
        "total_monthly_contribution": sum(
            (r["monthly_contribution"] or ZERO for r in rows if r["status"] == "active"), ZERO
        ),
        "overdue_goals": sum(1 for r in rows if is_overdue(r, today)),
        "due_soon": sum(1 for r in rows if is_due_soon(r, today)),
    }


def months_left(day: dt.date | None, today: dt.date) -> int | None:
    """Whole months to the target date, rounded up (0 once it passed; None without one)."""
    if day is None:
        return None
    if day < today:
        return 0
    return max(math.ceil(Decimal((day - today).days) / DAYS_PER_MONTH), 1)


def monthly_needed(row: dict[str, Any], today: dt.date) -> Decimal | None:
    """What a month must put in to reach the target on its date (None without a date)."""
    left = months_left(row["target_date"], today)
    remaining = max(row["target_amount"] - row["saved_amount"], ZERO)
    if left is None:
        return None
    return remaining if left == 0 else up_to_cent(remaining / left)


def predicted(row: dict[str, Any], today: dt.date) -> dt.date | None:
    """When the contribution reaches the target (today once reached; None without one)."""
    remaining = max(row["target_amount"] - row["saved_amount"], ZERO)
    if row["status"] == "completed" or remaining == 0:
        completed = row["completed_at"]
        return completed.date() if completed else today
    pace = row["monthly_contribution"]
    if not pace or row["status"] != "active":
        return None
    return add_months(today, math.ceil(remaining / pace))


def health(row: dict[str, Any], today: dt.date, currency: str | None) -> dict[str, Any]:
    """How a goal stands and what to do (goal_insights_screen.dart)."""
    saved, target, pace = row["saved_amount"], row["target_amount"], row["monthly_contribution"]
    remaining = max(target - saved, ZERO)
    progress = progress_of(saved, target)
    need, left = monthly_needed(row, today), months_left(row["target_date"], today)
    done, overdue = row["status"] == "completed", is_overdue(row, today)
    if done:
        on_track = True
    elif row["status"] != "active":
        on_track = False
    elif need is None:
        on_track = bool(pace)
    else:
        on_track = need == 0 or (pace is not None and pace >= need and not overdue)
    if done:
        score = 100
    else:
        if need is None:
            share = 1.0 if pace else 1 / 3
        elif need == 0:
            share = 1.0
        else:
            share = min(float((pace or ZERO) / need), 1.0)
        share = 0.0 if overdue else share / 2 if row["status"] == "paused" else share
        score = round(40 * progress / 100 + 60 * share)
    when = predicted(row, today)
    insights = [f"Saved {money(saved, currency)} of {money(target, currency)} ({progress:g}%)."]
    recommendations: list[str] = []
    if done:
        insights.append("Goal reached.")
    elif overdue:
        insights.append(
            f"The target date {row['target_date'].isoformat()} has passed with "
            f"{money(remaining, currency)} to go."
        )
        recommendations.append("Set a new target date you can reach at your pace.")
    elif need is not None and left:
        insights.append(
            f"{left} month{'s' if left != 1 else ''} left: {money(need, currency)} a month "
            f"reaches it by {row['target_date'].isoformat()}."
        )
    if not done and row["status"] == "paused":
        recommendations.append("Resume the goal to keep saving towards it.")
    if not done and pace and when is not None:
        insights.append(
            f"At {money(pace, currency)} a month you reach it around {when.isoformat()}."
        )
    if not done and row["status"] == "active" and need and (pace or ZERO) < need:
        gap = need - (pace or ZERO)
        recommendations.append(
            f"Raise the monthly contribution to {money(need, currency)} "
            f"(+{money(gap, currency)}) to reach it on time."
        )
        if when is not None:
            recommendations.append(f"Or move the target date to {when.isoformat()}.")
    if not done and not pace and need is None:
        recommendations.append("Set a monthly contribution to plan when you reach it.")
    return {
        "goal_id": str(row["id"]), "health_score": int(score), "on_track": on_track,
        "status": row["status"], "progress": progress, "remaining_amount": remaining,
        "months_left": left, "monthly_needed": need, "monthly_contribution": pace,
        "predicted_completion_date": when.isoformat() if when else None,
        "insights": insights, "recommendations": recommendations,
    }  # fmt: skip
