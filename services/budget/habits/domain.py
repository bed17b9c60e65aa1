"""The Habit aggregate (no I/O): a user-defined habit and the local days it was done on.

Decisions compute every value (the clock reading, the day) into the events; ``apply``
assigns. Completing a day already done, or undoing one not done, decides nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

from eventsourcing.domain import Aggregate

from contracts.habits import HABIT_CREATED
from shared.envelope import registry
from shared.errors import InvalidField

#: The form's facts, declared once: Created and Updated carry them, ``apply`` assigns them.
HABIT_FIELDS: dict[str, Any] = {"title": str, "description": str, "target_frequency": str}


class HabitNotFound(Exception):
    """No live habit of the caller has this id."""


class InvalidHabitDay(InvalidField):
    """A day the habit cannot be done on (after the user's local today)."""


class Habit(Aggregate):
    """A habit the user keeps."""

    class Created(Aggregate.Created):
        """The form, and the user's local day it was created on."""

        __annotations__ = {"user_id": uuid.UUID, **HABIT_FIELDS, "created_day": dt.date,
                           "created_at": dt.datetime}  # fmt: skip
        if TYPE_CHECKING:

            def __getattr__(self, name: str) -> Any: ...

        def apply(self, aggregate: Aggregate) -> None:
            """Assign the form."""
            for name in HABIT_FIELDS:
                setattr(aggregate, name, getattr(self, name))

    class Updated(Aggregate.Event):
        """The form as it now stands."""

        __annotations__ = {"user_id": uuid.UUID, **HABIT_FIELDS, "at": dt.datetime}
        if TYPE_CHECKING:

            def __getattr__(self, name: str) -> Any: ...

        def apply(self, aggregate: Aggregate) -> None:
            """Assign the form."""
            for name in HABIT_FIELDS:
                setattr(aggregate, name, getattr(self, name))

    class DayCompleted(Aggregate.Event):
        """The habit was done on ``day`` (the user's local day)."""

        user_id: uuid.UUID
        day: dt.date
        at: dt.datetime

        def apply(self, aggregate: Aggregate) -> None:
            """Add the day."""
            assert isinstance(aggregate, Habit)
            aggregate.days = aggregate.days | {self.day}

    class DayUncompleted(Aggregate.Event):
        """``day`` is no longer marked done."""

        user_id: uuid.UUID
        day: dt.date
        at: dt.datetime

        def apply(self, aggregate: Aggregate) -> None:
            """Remove the day."""
            assert isinstance(aggregate, Habit)
            aggregate.days = aggregate.days - {self.day}

    class Deleted(Aggregate.Event):
        """Gone from every list."""

        user_id: uuid.UUID
        at: dt.datetime

        def apply(self, aggregate: Aggregate) -> None:
            """Deleted."""
            assert isinstance(aggregate, Habit)
            aggregate.deleted = True

    title: str  # assigned by Created, with the rest of the form
    description: str
    target_frequency: str

    def __init__(self, user_id: uuid.UUID, created_day: dt.date, created_at: dt.datetime) -> None:
        self.user_id = user_id
        self.created_day = created_day
        self.created_at = created_at
        self.days: frozenset[dt.date] = frozenset()
        self.deleted = False

    @classmethod
    def create(cls, *, user_id: uuid.UUID, today: dt.date, at: dt.datetime, **form: Any) -> Habit:
        """Decide a habit from the app's form."""
        values = {name: form[name] for name in HABIT_FIELDS}
        return cls._create(cls.Created, id=uuid.uuid4(), user_id=user_id, created_day=today,
                           created_at=at, **values)  # fmt: skip

    def check_owner(self, user_id: uuid.UUID) -> None:
        """HabitNotFound unless this is a live habit of ``user_id``."""
        if self.deleted or self.user_id != user_id:
            raise HabitNotFound(str(self.id))

    def update(self, at: dt.datetime, **changes: Any) -> bool:
        """Apply the given form fields (None: unchanged); whether anything changed."""
        form = {name: getattr(self, name) for name in HABIT_FIELDS}
        form.update({k: v for k, v in changes.items() if k in HABIT_FIELDS and v is not None})
        if all(form[name] == getattr(self, name) for name in HABIT_FIELDS):
            return False
        self.trigger_event(self.Updated, user_id=self.user_id, at=at, **form)
        return True

    def complete(self, day: dt.date, today: dt.date, at: dt.datetime) -> bool:
        """Mark ``day`` done (not after the user's local today); whether it was new."""
        if day > today:
            raise InvalidHabitDay("a habit cannot be done on a day still to come", "date")
        if day in self.days:
            return False
        self.trigger_event(self.DayCompleted, user_id=self.user_id, day=day, at=at)
        return True

    def uncomplete(self, day: dt.date, at: dt.datetime) -> bool:
        """Unmark ``day``; whether it was marked."""
        if day not in self.days:
            return False
        self.trigger_event(self.DayUncompleted, user_id=self.user_id, day=day, at=at)
        return True

    def delete(self, at: dt.datetime) -> None:
        """Delete the habit."""
        self.trigger_event(self.Deleted, user_id=self.user_id, at=at)


registry.register_aggregate("budget", Habit)
# "Created" is also the library's base name, which register_aggregate passes over.
registry.register("budget", Habit.Created, HABIT_CREATED)
