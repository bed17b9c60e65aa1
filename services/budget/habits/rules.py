"""Habit progress (pure; docs/habits.md): periods of the habit's frequency in the user's
local days — a day, an ISO week (Monday first) or a calendar month — each done when any of
its days was completed; streaks and the completion rate over them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

#: How many periods the progress's recent history shows, per frequency.
RECENT: Final = {"daily": 14, "weekly": 8, "monthly": 6}


def period_of(day: dt.date, frequency: str) -> dt.date:
    """The first day of the period ``day`` falls in."""
    if frequency == "weekly":
        return day - dt.timedelta(days=day.weekday())
    if frequency == "monthly":
        return day.replace(day=1)
    return day


def after(start: dt.date, frequency: str) -> dt.date:
    """The first day of the next period."""
    if frequency == "weekly":
        return start + dt.timedelta(days=7)
    if frequency == "monthly":
        return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return start + dt.timedelta(days=1)


def before(start: dt.date, frequency: str) -> dt.date:
    """The first day of the previous period."""
    return period_of(start - dt.timedelta(days=1), frequency)


def progress(
    days: Iterable[dt.date], frequency: str, created: dt.date, today: dt.date
) -> dict[str, Any]:
    """Streaks, the completion rate and the recent periods.

    * Periods run from the one the habit was created in (or of its first completed day, if
      earlier: a backfilled day counts) to the current one; days after today do not count.
    * current streak: done periods in a row ending with the current one — or with the last
      one while the current one is not done yet (the day is not over).
    * longest streak: the longest such run; completion rate: done periods / periods × 100.
    """
    counted = sorted({d for d in days if d <= today})
    done: dict[dt.date, int] = {}
    for day in counted:
        start = period_of(day, frequency)
        done[start] = done.get(start, 0) + 1
    current = period_of(today, frequency)
    first = min([period_of(created, frequency), *done])
    periods = []
    cursor = first
    while cursor <= current:
        periods.append(cursor)
        cursor = after(cursor, frequency)
    longest = run = 0
    for start in periods:
        run = run + 1 if start in done else 0
        longest = max(longest, run)
    streak, cursor = 0, current if current in done else before(current, frequency)
    while cursor in done:
        streak += 1
        cursor = before(cursor, frequency)
    rate = Decimal(len(done) * 100) / len(periods)
    recent = [
        {"start": start.isoformat(), "end": (after(start, frequency) - dt.timedelta(days=1))
         .isoformat(), "completed": start in done, "completions": done.get(start, 0)}
        for start in periods[-RECENT[frequency]:]
    ]  # fmt: skip
    return {
        "current_streak": streak, "longest_streak": longest,
        "completion_rate": rate.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP),
        "total_completions": len(counted), "periods_completed": len(done),
        "periods_total": len(periods), "completed_today": today in set(counted),
        "recent": recent,
    }  # fmt: skip
