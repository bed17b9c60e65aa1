"""Challenge progress, measured (no I/O): an attempt's window, the user's local days in it and
what each day's spending and plan were. A day counts once it is over; spending that breaks a
freeze or a cap fails the attempt at once, today included."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from services.budget.challenges.catalogue import Challenge

ZERO = Decimal(0)
ONE_DAY = dt.timedelta(days=1)
SATURDAY = 5


@dataclass(frozen=True)
class Day:
    """One local day: spending since the attempt began, by transaction category and outside
    the fixed bills; the whole day's spending and plan (the day plans)."""

    by_category: Mapping[str, Decimal] = field(default_factory=dict)
    flexible: Decimal = ZERO
    spent: Decimal = ZERO
    planned: Decimal = ZERO


@dataclass(frozen=True)
class Attempt:
    """A join of one challenge: its window (local days, inclusive) and what was fixed then."""

    challenge_id: str
    start_day: dt.date
    end_day: dt.date
    cap: Decimal | None
    left_day: dt.date | None = None


@dataclass(frozen=True)
class Outcome:
    """Where an attempt stands at the user's local today."""

    status: str
    current_progress: int
    target_value: int
    days_completed: int
    days_remaining: int
    current_streak: int
    best_streak: int
    completed_on: dt.date | None = None


def window(challenge: Challenge, joined_on: dt.date) -> tuple[dt.date, dt.date]:
    """The local days an attempt joined on ``joined_on`` is measured over."""
    if challenge.rule.kind == "weekend":
        start = joined_on + dt.timedelta(days=(SATURDAY - joined_on.weekday()) % 7)
        return start, start + ONE_DAY
    return joined_on, joined_on + dt.timedelta(days=challenge.duration_days - 1)


def cap_of(challenge: Challenge, before: Mapping[str, Decimal]) -> Decimal | None:
    """A cap challenge's limit from what the user spent in its categories before joining."""
    if challenge.rule.kind != "cap":
        return None
    spent = sum((before.get(c, ZERO) for c in challenge.rule.categories), ZERO)
    return (spent * challenge.rule.fraction).quantize(Decimal("0.01"))


def days(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    """Every day from ``first`` to ``last`` inclusive."""
    day = first
    while day <= last:
        yield day
        day += ONE_DAY


def runs(good: list[bool]) -> tuple[int, int]:
    """The run of good days ending at the last one, and the longest run."""
    current = best = 0
    for ok in good:
        current = current + 1 if ok else 0
        best = max(best, current)
    return current, best


def evaluate(
    challenge: Challenge, attempt: Attempt, facts: Mapping[dt.date, Day], today: dt.date
) -> Outcome:
    """The attempt's progress at the user's local ``today``."""
    rule, target = challenge.rule, challenge.target_value
    stop = today if attempt.left_day is None else min(today, attempt.left_day)
    seen = list(days(attempt.start_day, min(attempt.end_day, stop)))
    closed = [d for d in seen if d < stop]
    empty = Day()
    if rule.kind == "streak":
        good = [facts.get(d, empty).spent <= facts.get(d, empty).planned for d in closed]
        run = best = 0
        completed_on: dt.date | None = None
        for day, ok in zip(closed, good, strict=True):
            run = run + 1 if ok else 0
            best = max(best, run)
            if completed_on is None and run >= rule.days:
                completed_on = day
        last = closed[-1] if closed else attempt.start_day - ONE_DAY
        failed = completed_on is None and run + (attempt.end_day - last).days < rule.days
        progress = rule.days if completed_on else run
    else:
        failed_on = _broken(challenge, attempt, seen, facts)
        good = [failed_on is None or d < failed_on for d in closed]
        run, best = runs(good)
        progress = sum(good)
        failed = failed_on is not None
        over = bool(closed) and closed[-1] == attempt.end_day
        completed_on = attempt.end_day if over and not failed else None
    status = (
        "completed" if completed_on is not None
        else "failed" if failed
        else "left" if attempt.left_day is not None
        else "active"
    )  # fmt: skip
    remaining = (attempt.end_day - today).days + 1 if status == "active" else 0
    return Outcome(
        status=status,
        current_progress=min(progress, target),
        target_value=target,
        days_completed=len(closed),
        days_remaining=max(0, min(remaining, (attempt.end_day - attempt.start_day).days + 1)),
        current_streak=run,
        best_streak=best,
        completed_on=completed_on,
    )


def _broken(
    challenge: Challenge, attempt: Attempt, seen: list[dt.date], facts: Mapping[dt.date, Day]
) -> dt.date | None:
    """The first day a freeze or a limit was broken (None: not broken so far)."""
    rule, empty = challenge.rule, Day()
    if rule.kind in ("abstain", "weekend"):
        for day in seen:
            found = facts.get(day, empty)
            spent = found.flexible if rule.kind == "weekend" else _in(found, rule.categories)
            if spent > ZERO:
                return day
        return None
    if rule.kind == "cap":
        limit = attempt.cap if attempt.cap is not None else ZERO
    else:  # under_plan: a share of the whole window's plan
        whole = days(attempt.start_day, attempt.end_day)
        planned = sum((facts.get(d, empty).planned for d in whole), ZERO)
        limit = planned * rule.fraction
    total = ZERO
    for day in seen:
        found = facts.get(day, empty)
        total += _in(found, rule.categories) if rule.kind == "cap" else found.spent
        if total > limit:
            return day
    return None


def _in(day: Day, categories: tuple[str, ...]) -> Decimal:
    return sum((day.by_category.get(c, ZERO) for c in categories), ZERO)


LEVEL_POINTS = 500


def level(points: int) -> tuple[int, int]:
    """The level ``points`` reach and the points the next level needs."""
    current = 1 + points // LEVEL_POINTS
    return current, current * LEVEL_POINTS
