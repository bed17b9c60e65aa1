"""Habit use cases on the budget's store: load, decide, save; each returns the habit and the
stored position (0 when nothing changed)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from eventsourcing.application import AggregateNotFoundError

from services.budget.habits.domain import Habit, HabitNotFound


@dataclass(frozen=True)
class SavedHabit:
    """A use case's habit and its last stored position (0: nothing appended)."""

    habit: Habit
    position: int


class HabitCases:
    """The habit use cases, mixed into the budget's application (one store, one outbox)."""

    repository: Any

    def _save(self, *aggregates: Any) -> int:
        raise NotImplementedError  # provided by BudgetApplication

    def owned_habit(self, habit_id: uuid.UUID, user_id: uuid.UUID) -> Habit:
        """A live habit of ``user_id`` (HabitNotFound otherwise)."""
        try:
            found: Any = self.repository.get(habit_id)
        except AggregateNotFoundError:
            raise HabitNotFound(str(habit_id)) from None
        if not isinstance(found, Habit):
            raise HabitNotFound(str(habit_id))
        found.check_owner(user_id)
        return found

    def _saved(self, habit: Habit, changed: bool) -> SavedHabit:
        return SavedHabit(habit, self._save(habit) if changed else 0)

    def create_habit(
        self, *, user_id: uuid.UUID, today: dt.date, now: dt.datetime, **form: Any
    ) -> SavedHabit:
        """Create a habit from the app's form."""
        return self._saved(Habit.create(user_id=user_id, today=today, at=now, **form), True)

    def update_habit(
        self, habit_id: uuid.UUID, *, user_id: uuid.UUID, now: dt.datetime, **changes: Any
    ) -> SavedHabit:
        """Change the given form fields of the caller's habit."""
        habit = self.owned_habit(habit_id, user_id)
        return self._saved(habit, habit.update(now, **changes))

    def mark_habit_day(
        self, habit_id: uuid.UUID, *, user_id: uuid.UUID, day: dt.date, done: bool,
        today: dt.date, now: dt.datetime,
    ) -> SavedHabit:  # fmt: skip
        """Complete or un-complete ``day`` of the caller's habit (repeating is a no-op)."""
        habit = self.owned_habit(habit_id, user_id)
        changed = habit.complete(day, today, now) if done else habit.uncomplete(day, now)
        return self._saved(habit, changed)

    def delete_habit(self, habit_id: uuid.UUID, *, user_id: uuid.UUID, now: dt.datetime) -> int:
        """Delete the caller's habit; the position."""
        habit = self.owned_habit(habit_id, user_id)
        habit.delete(now)
        return self._save(habit)
