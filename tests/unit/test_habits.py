"""Habit rules and aggregate: periods of each frequency in local days, streaks (the current
period not done yet does not break one), completion rates; the lifecycle."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from decimal import Decimal

import pytest

from services.budget.application import BudgetApplication
from services.budget.habits.domain import HabitNotFound, InvalidHabitDay
from services.budget.habits.rules import after, period_of, progress
from shared.dates import local_day

D = dt.date
TODAY = D(2026, 3, 11)  # a Wednesday
NOW = dt.datetime(2026, 3, 11, 9, tzinfo=dt.UTC)


def days(*offsets: int) -> list[dt.date]:
    """Days ``offsets`` before TODAY."""
    return [TODAY - dt.timedelta(days=n) for n in offsets]


@pytest.mark.parametrize(
    ("frequency", "day", "start", "following"),
    [("daily", D(2026, 3, 11), D(2026, 3, 11), D(2026, 3, 12)),
     ("weekly", D(2026, 3, 11), D(2026, 3, 9), D(2026, 3, 16)),
     ("weekly", D(2026, 3, 8), D(2026, 3, 2), D(2026, 3, 9)),  # a Sunday ends the ISO week
     ("monthly", D(2026, 12, 31), D(2026, 12, 1), D(2027, 1, 1))],
)  # fmt: skip
def test_periods(frequency: str, day: dt.date, start: dt.date, following: dt.date) -> None:
    assert period_of(day, frequency) == start
    assert after(start, frequency) == following


@pytest.mark.parametrize(
    ("done", "current", "longest", "rate", "today_done"),
    [
        ((0, 1, 2), 3, 3, "30.0", True),  # created 9 days ago: 3 of 10 days
        ((1, 2), 2, 2, "20.0", False),  # today not done yet: the streak stands
        ((2, 3, 4, 6), 0, 3, "40.0", False),  # yesterday missed: broken
        ((), 0, 0, "0.0", False),
        ((0, -1), 1, 1, "10.0", True),  # a day still to come does not count
    ],
)
def test_daily(done: tuple[int, ...], current: int, longest: int, rate: str,
               today_done: bool) -> None:  # fmt: skip
    found = progress(days(*done), "daily", TODAY - dt.timedelta(days=9), TODAY)
    assert (found["current_streak"], found["longest_streak"]) == (current, longest)
    assert found["completion_rate"] == Decimal(rate)
    assert found["completed_today"] is today_done
    assert found["periods_total"] == 10
    assert len(found["recent"]) == 10


def test_weekly_and_monthly() -> None:
    created = D(2026, 1, 5)  # a Monday: ten ISO weeks to this one
    week = progress([D(2026, 3, 2), D(2026, 3, 4), D(2026, 2, 24), D(2026, 2, 10)], "weekly",
                    created, TODAY)  # fmt: skip
    assert (week["current_streak"], week["longest_streak"]) == (2, 2)  # this week not done yet
    assert (week["periods_completed"], week["periods_total"]) == (3, 10)
    assert week["total_completions"] == 4
    assert week["recent"][-2] == {"start": "2026-03-02", "end": "2026-03-08", "completed": True,
                                  "completions": 2}  # fmt: skip
    month = progress([D(2026, 1, 20), D(2026, 2, 1), D(2026, 3, 11)], "monthly", created, TODAY)
    assert (month["current_streak"], month["longest_streak"]) == (3, 3)
    assert month["completion_rate"] == Decimal("100.0")
    backfilled = progress([D(2025, 12, 30)], "monthly", created, TODAY)
    assert backfilled["periods_total"] == 4  # a day before the creation counts from its month


@pytest.mark.parametrize(
    ("zone", "instant", "day"),
    [("Europe/Sofia", "2026-03-10T22:30:00+00:00", D(2026, 3, 11)),
     ("America/Los_Angeles", "2026-03-11T05:00:00+00:00", D(2026, 3, 10)),
     ("UTC", "2026-03-11T00:00:00+00:00", D(2026, 3, 11))],
)  # fmt: skip
def test_an_instant_completes_the_users_local_day(zone: str, instant: str, day: dt.date) -> None:
    assert local_day(dt.datetime.fromisoformat(instant), zoneinfo.ZoneInfo(zone)) == day


def test_the_lifecycle() -> None:
    app = BudgetApplication()
    user, other = uuid.uuid4(), uuid.uuid4()
    made = app.create_habit(user_id=user, today=TODAY, now=NOW, title="Walk", description="",
                            target_frequency="daily")  # fmt: skip
    habit_id = made.habit.id
    assert made.position > 0
    assert app.mark_habit_day(habit_id, user_id=user, day=TODAY, done=True, today=TODAY,
                              now=NOW).position > 0  # fmt: skip
    again = app.mark_habit_day(habit_id, user_id=user, day=TODAY, done=True, today=TODAY, now=NOW)
    assert again.position == 0  # already done
    with pytest.raises(InvalidHabitDay):
        app.mark_habit_day(habit_id, user_id=user, day=TODAY + dt.timedelta(days=1), done=True,
                           today=TODAY, now=NOW)  # fmt: skip
    undone = app.mark_habit_day(habit_id, user_id=user, day=TODAY, done=False, today=TODAY,
                                now=NOW)  # fmt: skip
    assert undone.position > 0
    assert undone.habit.days == frozenset()
    assert app.update_habit(habit_id, user_id=user, now=NOW, title="Walk").position == 0
    changed = app.update_habit(habit_id, user_id=user, now=NOW, target_frequency="weekly")
    assert changed.habit.target_frequency == "weekly"
    with pytest.raises(HabitNotFound):
        app.owned_habit(habit_id, other)
    app.delete_habit(habit_id, user_id=user, now=NOW)
    with pytest.raises(HabitNotFound):
        app.owned_habit(habit_id, user)
    with pytest.raises(HabitNotFound):
        app.owned_habit(uuid.uuid4(), user)
