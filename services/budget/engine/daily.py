"""Daily distribution of a monthly plan over the days of a (year, month)."""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
from collections.abc import Mapping
from decimal import Decimal
from typing import Final

from services.budget.engine import categories as cat
from services.budget.engine.money import CENTS, ZERO, split_evenly

DayPlan = dict[dt.date, dict[str, Decimal]]
"""Planned (or spent) money per day, per plan category."""

HOUSING_DUE_DAY: Final = 1
OTHER_FIXED_DUE_DAY: Final = 5
SAVINGS_DAY: Final = 1
DEFAULT_ENTERTAINMENT_DAYS: Final = 4
TRAVEL_DAYS: Final = 1


def month_days(year: int, month: int) -> list[dt.date]:
    """Every date of the month, in order."""
    days = calendar.monthrange(year, month)[1]
    return [dt.date(year, month, d) for d in range(1, days + 1)]


def due_day(category: str, year: int, month: int, given: int | None = None) -> dt.date:
    """Due date of a fixed category: the given day, else housing day 1 and others day 5.

    A given day past the month's end (31 in February) falls on the month's last day; a day
    below 1 counts as 1.
    """
    default = HOUSING_DUE_DAY if category == cat.HOUSING else OTHER_FIXED_DUE_DAY
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(max(given or default, 1), last))


def cluster_days(user_id: str, year: int, month: int, category: str, count: int) -> list[dt.date]:
    """The ``count`` days a clustered category uses: weekends first, then weekdays.

    Within each group days are ordered by sha256("user:year:month:category:YYYY-MM-DD"), so
    the choice is stable across replays and differs between users and months. The result is
    in calendar order; ``count`` is clamped to 1..days-in-month.
    """
    days = month_days(year, month)
    count = min(max(count, 1), len(days))

    def rank(day: dt.date) -> tuple[int, str]:
        seed = f"{user_id}:{year}:{month}:{category}:{day.isoformat()}"
        weekday_group = 0 if day.weekday() >= 5 else 1
        return weekday_group, hashlib.sha256(seed.encode()).hexdigest()

    return sorted(sorted(days, key=rank)[:count])


def distribute_month(
    categories: Mapping[str, Decimal],
    year: int,
    month: int,
    *,
    user_id: str,
    entertainment_per_month: int | None = None,
    due_days: Mapping[str, int] | None = None,
    spread_clustered: bool = False,
) -> DayPlan:
    """Lay a month's plan out over its days: ``{date: {category: planned}}``.

    * fixed categories: the whole amount on the due day (``due_day``; ``due_days`` overrides);
    * savings: the whole amount on day 1;
    * spread categories (``SPREAD_ORDER``): evenly over every day. The leftover cents of each
      category go to consecutive days, and each category's leftovers start on the day after
      the previous category's ended (the first starts on day 1). So 100.00 of food over
      3 days is 33.34/33.33/33.33, and whenever the spread categories together hold at least
      one cent per day, every day gets > 0 even if each category alone is tiny;
    * clustered categories: entertainment over ``entertainment_per_month`` days (default 4;
      0 counts as 1 so the money still has a day), travel over 1 day (the plan only holds
      travel money when ``travel_per_year`` is not 0), days chosen by ``cluster_days`` and the
      amount split evenly over them (extra cents to the earlier days).

    With ``spread_clustered`` (the flexible mode) entertainment and travel are spread like the
    others, after them. Every date of the month is a key (possibly with an empty dict); zero
    amounts are omitted.
    Σ of the result per category equals ``categories`` exactly.
    """
    days = month_days(year, month)
    n = len(days)
    result: DayPlan = {day: {} for day in days}
    overrides = due_days or {}

    def add(day: dt.date, category: str, amount: Decimal) -> None:
        if amount != 0:
            result[day][category] = result[day].get(category, ZERO) + amount

    offset = 0
    order = cat.SPREAD_ORDER + (cat.CLUSTERED if spread_clustered else ())
    spread = [c for c in order if c in categories]
    for category in spread:
        amount = categories[category]
        for index, part in enumerate(split_evenly(amount, n, start=offset)):
            add(days[index], category, part)
        offset = (offset + int(amount / CENTS) % n) % n

    for category, amount in categories.items():
        kind = cat.kind(category)
        if kind is cat.Kind.FIXED:
            add(due_day(category, year, month, overrides.get(category)), category, amount)
        elif kind is cat.Kind.SAVINGS:
            add(days[SAVINGS_DAY - 1], category, amount)
        elif kind is cat.Kind.CLUSTERED and amount != 0 and not spread_clustered:
            count = TRAVEL_DAYS
            if category == cat.ENTERTAINMENT:
                count = DEFAULT_ENTERTAINMENT_DAYS
                if entertainment_per_month is not None:
                    count = entertainment_per_month
            chosen = cluster_days(user_id, year, month, category, count)
            for day, part in zip(chosen, split_evenly(amount, len(chosen)), strict=True):
                add(day, category, part)
    return result


def day_limit(day: Mapping[str, Decimal]) -> Decimal:
    """A day's limit: Σ planned over its categories."""
    return sum(day.values(), ZERO)


def month_totals(days: Mapping[dt.date, Mapping[str, Decimal]]) -> dict[str, Decimal]:
    """Σ per category over the given days."""
    totals: dict[str, Decimal] = {}
    for amounts in days.values():
        for category, amount in amounts.items():
            totals[category] = totals.get(category, ZERO) + amount
    return totals


def replan_from(current: DayPlan, fresh: DayPlan, today: dt.date) -> DayPlan:
    """Re-onboarding mid-month: days before ``today`` keep ``current``, the rest take ``fresh``."""
    return {
        day: dict(current.get(day, {}) if day < today else amounts)
        for day, amounts in fresh.items()
    }


def carry_savings(days: DayPlan, savings: Decimal, today: dt.date) -> DayPlan:
    """After ``replan_from``: savings the plan holds beyond what the month's days set aside
    (their savings day has passed) are set aside on ``today``; less is never taken back."""
    if today not in days:
        return days
    held = sum((amounts.get(cat.SAVINGS, ZERO) for amounts in days.values()), ZERO)
    if savings <= held:
        return days
    on_today = dict(days[today])
    on_today[cat.SAVINGS] = on_today.get(cat.SAVINGS, ZERO) + savings - held
    return {**days, today: on_today}


def place_payments(
    days: DayPlan, category: str, line: Decimal, payments: Mapping[dt.date, Decimal]
) -> DayPlan:
    """Move ``line`` of a fixed ``category`` from its due day to the payments' own days, in
    date order, each at most its amount (a line capped below the payments covers the earliest
    ones). Σ per category is unchanged."""
    if line <= 0:
        return days
    out = {day: dict(amounts) for day, amounts in days.items()}
    holder = next(day for day, amounts in out.items() if amounts.get(category, ZERO) >= line)
    out[holder][category] -= line
    if out[holder][category] == 0:
        del out[holder][category]
    left = line
    for day in sorted(payments):
        part = min(payments[day], left)
        if part > 0:
            out[day][category] = out[day].get(category, ZERO) + part
            left -= part
    return out
