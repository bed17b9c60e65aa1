"""The habits screen's published contract (habits_provider.dart, habits_screen.dart:205-220):
the form it sends, the day it completes, the habit and progress it reads (in the envelope),
and the event names."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Final, Literal

from pydantic import BaseModel, StringConstraints

from contracts.envelope import Tolerant
from shared.dates import DayOrInstant

HABIT_CREATED: Final = "budget.HabitCreated"
HABIT_UPDATED: Final = "budget.HabitUpdated"
HABIT_DAY_COMPLETED: Final = "budget.HabitDayCompleted"
HABIT_DAY_UNCOMPLETED: Final = "budget.HabitDayUncompleted"
HABIT_DELETED: Final = "budget.HabitDeleted"
HABIT_EVENTS: Final = frozenset(
    {HABIT_CREATED, HABIT_UPDATED, HABIT_DAY_COMPLETED, HABIT_DAY_UNCOMPLETED, HABIT_DELETED}
)
FREQUENCIES: Final = ("daily", "weekly", "monthly")
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(max_length=2000, pattern=r"^[^\x00]*$")]
Frequency = Literal["daily", "weekly", "monthly"]


class HabitIn(Tolerant):
    """``POST /habits/``: ``{title, description, target_frequency}``."""

    title: Title
    description: Description = ""
    target_frequency: Frequency = "daily"


class HabitPatch(Tolerant):
    """``PATCH /habits/{id}``: the same form (what is sent changes)."""

    title: Title | None = None
    description: Description | None = None
    target_frequency: Frequency | None = None


class HabitDay(Tolerant):
    """``POST|DELETE /habits/{id}/complete``: ``{date}`` — the app's local day
    (``YYYY-MM-DD``), or an instant (its day in the user's zone); today when left out."""

    date: DayOrInstant | None = None


class HabitOut(BaseModel):
    """A habit as the app reads it (``Habit.fromJson``)."""

    id: str
    title: str
    description: str
    target_frequency: str
    created_at: str
    completed_dates: list[str]
    current_streak: int
    longest_streak: int
    completion_rate: Decimal
    completed_today: bool


class PeriodOut(BaseModel):
    """One period (day, ISO week or month) of a habit's recent history."""

    start: str
    end: str
    completed: bool
    completions: int


class HabitProgress(BaseModel):
    """``GET /habits/{id}/progress``."""

    habit_id: str
    target_frequency: str
    current_streak: int
    longest_streak: int
    completion_rate: Decimal
    total_completions: int
    periods_completed: int
    periods_total: int
    completed_today: bool
    recent: list[PeriodOut]
