"""The Goal aggregate (no I/O): a saving target with its progress and lifecycle.

Every decision computes its values (the new saved total, the clock reading) into the event;
``apply`` only assigns. A goal completes by itself when its savings reach the target.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from eventsourcing.domain import Aggregate

from contracts.goals import FORM_FIELDS, GOAL_CATEGORIES, GOAL_CREATED, PRIORITIES
from shared.envelope import registry
from shared.errors import InvalidField

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
#: The form's facts, declared once: Created and Updated carry them, ``apply`` assigns them.
GOAL_FIELDS: dict[str, Any] = {
    "title": str, "description": str, "category": str, "target_amount": Decimal,
    "saved_amount": Decimal, "monthly_contribution": Decimal | None, "priority": str,
    "target_date": dt.date | None,
}  # fmt: skip
assert tuple(GOAL_FIELDS) == FORM_FIELDS  # the contract's form and the aggregate agree
DEFAULTS: dict[str, Any] = {
    "description": "", "category": "Other", "saved_amount": ZERO, "monthly_contribution": None,
    "priority": "medium", "target_date": None,
}  # fmt: skip


class GoalError(Exception):
    """Base of goal domain errors."""


class InvalidGoal(GoalError, InvalidField):
    """A command carried a value the goal refuses (``field`` names it)."""


class GoalNotFound(GoalError):
    """No such goal for this user (another user's and deleted ones included)."""


class GoalClosed(GoalError):
    """The goal's status does not allow the command (e.g. resuming a completed goal)."""


def cents(value: Decimal | None, field: str) -> Decimal | None:
    """A money value at 2 places (the contract already refused a third)."""
    if value is None:
        return None
    if not value.is_finite() or value < 0:
        raise InvalidGoal(f"{field} must not be negative", field)
    return value.quantize(CENT)


def checked(form: dict[str, Any]) -> dict[str, Any]:
    """The form's values, normalized; a refusal names the field."""
    out = dict(form)
    if not str(out["title"]).strip():
        raise InvalidGoal("title must not be blank", "title")
    if out["category"] not in GOAL_CATEGORIES:
        raise InvalidGoal("unknown goal category", "category")
    if out["priority"] not in PRIORITIES:
        raise InvalidGoal("priority must be high, medium or low", "priority")
    for field in ("target_amount", "saved_amount", "monthly_contribution"):
        out[field] = cents(out[field], field)
    if out["target_amount"] is None or out["target_amount"] <= 0:
        raise InvalidGoal("target_amount must be greater than 0", "target_amount")
    if out["monthly_contribution"] == ZERO:
        out["monthly_contribution"] = None  # 0 a month is no plan
    return out


def _assign(event: Any, aggregate: Aggregate) -> None:
    _set(aggregate, **{name: getattr(event, name) for name in GOAL_FIELDS})


def _set(aggregate: Aggregate, **values: Any) -> None:
    for name, value in values.items():
        setattr(aggregate, name, value)


class _StatusChange:
    """A goal event after which the goal has ``status`` (``contracts.goals.STATUS_AFTER``)."""

    status: ClassVar[str]
    at: dt.datetime

    def apply(self, aggregate: Aggregate) -> None:
        """The new status."""
        _set(aggregate, status=self.status, updated_at=self.at)


class Goal(Aggregate):
    """A user's saving goal."""

    class Created(Aggregate.Created):
        """A goal (``GOAL_FIELDS``), active unless its savings already reach the target."""

        __annotations__ = {"user_id": uuid.UUID, **GOAL_FIELDS, "created_at": dt.datetime}
        if TYPE_CHECKING:

            def __getattr__(self, name: str) -> Any: ...

        def apply(self, aggregate: Aggregate) -> None:
            """Assign the form."""
            _assign(self, aggregate)

    class Updated(Aggregate.Event):
        """The form as it now stands (every ``GOAL_FIELDS`` value)."""

        __annotations__ = {"user_id": uuid.UUID, **GOAL_FIELDS, "updated_at": dt.datetime}
        if TYPE_CHECKING:

            def __getattr__(self, name: str) -> Any: ...

        def apply(self, aggregate: Aggregate) -> None:
            """Assign the form."""
            assert isinstance(aggregate, Goal)
            _assign(self, aggregate)
            aggregate.updated_at = self.updated_at

    class SavingsAdded(Aggregate.Event):
        """Money put towards the goal by hand; ``saved_amount`` is the new total."""

        user_id: uuid.UUID
        amount: Decimal
        saved_amount: Decimal
        added_at: dt.datetime

        def apply(self, aggregate: Aggregate) -> None:
            """The new total."""
            _set(aggregate, saved_amount=self.saved_amount, updated_at=self.added_at)

    class LinkedSavingsChanged(Aggregate.Event):
        """A transaction linked by ``goal_id`` now counts ``amount`` (0: it no longer counts);
        ``saved_amount`` is the new total."""

        user_id: uuid.UUID
        transaction_id: uuid.UUID
        amount: Decimal
        saved_amount: Decimal
        changed_at: dt.datetime

        def apply(self, aggregate: Aggregate) -> None:
            """The linked amount and the new total."""
            assert isinstance(aggregate, Goal)
            key = str(self.transaction_id)
            linked = {k: v for k, v in aggregate.linked.items() if k != key}
            aggregate.linked = linked | ({key: self.amount} if self.amount else {})
            _set(aggregate, saved_amount=self.saved_amount, updated_at=self.changed_at)

    class Paused(_StatusChange, Aggregate.Event):
        """Saving towards the goal is paused."""

        user_id: uuid.UUID
        at: dt.datetime
        status: ClassVar[str] = "paused"

    class Resumed(_StatusChange, Aggregate.Event):
        """Saving towards the goal goes on."""

        user_id: uuid.UUID
        at: dt.datetime
        status: ClassVar[str] = "active"

    class Completed(_StatusChange, Aggregate.Event):
        """The goal is reached: by hand, or ``automatic`` when savings reached the target."""

        user_id: uuid.UUID
        automatic: bool
        at: dt.datetime
        status: ClassVar[str] = "completed"

        def apply(self, aggregate: Aggregate) -> None:
            """Completed, and when."""
            super().apply(aggregate)
            _set(aggregate, completed_at=self.at)

    class Cancelled(_StatusChange, Aggregate.Event):
        """The user gave the goal up (kept in the history, no longer saved for)."""

        user_id: uuid.UUID
        at: dt.datetime
        status: ClassVar[str] = "cancelled"

    class Deleted(Aggregate.Event):
        """The goal is gone from every list."""

        user_id: uuid.UUID
        at: dt.datetime

        def apply(self, aggregate: Aggregate) -> None:
            """Deleted."""
            _set(aggregate, deleted=True, updated_at=self.at)

    def __init__(self, user_id: uuid.UUID, created_at: dt.datetime) -> None:
        self.user_id = user_id
        self.created_at = self.updated_at = created_at
        self.status = "active"
        self.completed_at: dt.datetime | None = None
        self.deleted = False
        self.linked: dict[str, Decimal] = {}

    if TYPE_CHECKING:  # set from GOAL_FIELDS

        def __getattr__(self, name: str) -> Any: ...

    @classmethod
    def create(
        cls, *, goal_id: uuid.UUID, user_id: uuid.UUID, at: dt.datetime, **given: Any
    ) -> Goal:
        """Decide a goal from the form (defaults for what was not set)."""
        form = {name: given.get(name) for name in GOAL_FIELDS}
        form.update({k: v for k, v in DEFAULTS.items() if form[k] is None})
        goal = cls._create(cls.Created, id=goal_id, user_id=user_id, created_at=at, **checked(form))
        goal._complete_if_reached(at)
        return goal

    def check_owner(self, user_id: uuid.UUID) -> None:
        """GoalNotFound unless this is a live goal of ``user_id``."""
        if self.deleted or self.user_id != user_id:
            raise GoalNotFound(str(self.id))

    def update(self, at: dt.datetime, **changes: Any) -> bool:
        """Apply the given form fields (None clears the optional ones; a None title or target
        is unchanged); False when nothing moved."""
        form = {name: getattr(self, name) for name in GOAL_FIELDS}
        for name, value in changes.items():
            if name not in GOAL_FIELDS or (value is None and name in ("title", "target_amount")):
                continue
            form[name] = DEFAULTS.get(name) if value is None else value
        form = checked(form)
        if all(form[name] == getattr(self, name) for name in GOAL_FIELDS):
            return False
        self.trigger_event(self.Updated, user_id=self.user_id, updated_at=at, **form)
        self._complete_if_reached(at)
        return True

    def add_savings(self, amount: Decimal, at: dt.datetime) -> None:
        """Put money towards an active or paused goal."""
        if self.status in ("completed", "cancelled"):
            raise GoalClosed(f"a {self.status} goal takes no more savings")
        amount = cents(amount, "amount") or ZERO
        if amount <= 0:
            raise InvalidGoal("amount must be greater than 0", "amount")
        total = self.saved_amount + amount
        self.trigger_event(
            self.SavingsAdded, user_id=self.user_id, amount=amount, saved_amount=total, added_at=at
        )
        self._complete_if_reached(at)

    def link(self, transaction_id: uuid.UUID, amount: Decimal, at: dt.datetime) -> bool:
        """Count a linked transaction at ``amount`` (0: not at all); False when nothing moved
        (a redelivered event decides nothing twice)."""
        key = str(transaction_id)
        before = self.linked.get(key, ZERO)
        if amount == before:
            return False
        total = max(self.saved_amount - before + amount, ZERO)
        self.trigger_event(
            self.LinkedSavingsChanged, user_id=self.user_id, transaction_id=transaction_id,
            amount=amount, saved_amount=total, changed_at=at,
        )  # fmt: skip
        if self.status in ("active", "paused"):
            self._complete_if_reached(at)
        return True

    def pause(self, at: dt.datetime) -> bool:
        """Pause an active goal (False when already paused)."""
        if self.status == "paused":
            return False
        if self.status != "active":
            raise GoalClosed(f"a {self.status} goal cannot be paused")
        self.trigger_event(self.Paused, user_id=self.user_id, at=at)
        return True

    def resume(self, at: dt.datetime) -> bool:
        """Resume a paused goal (False when already active)."""
        if self.status == "active":
            return False
        if self.status != "paused":
            raise GoalClosed(f"a {self.status} goal cannot be resumed")
        self.trigger_event(self.Resumed, user_id=self.user_id, at=at)
        return True

    def complete(self, at: dt.datetime) -> bool:
        """Mark the goal reached by hand (False when it already is)."""
        if self.status == "completed":
            return False
        if self.status == "cancelled":
            raise GoalClosed("a cancelled goal cannot be completed")
        self.trigger_event(self.Completed, user_id=self.user_id, automatic=False, at=at)
        return True

    def cancel(self, at: dt.datetime) -> bool:
        """Give the goal up (False when it already is)."""
        if self.status == "cancelled":
            return False
        if self.status == "completed":
            raise GoalClosed("a completed goal cannot be cancelled")
        self.trigger_event(self.Cancelled, user_id=self.user_id, at=at)
        return True

    def delete(self, at: dt.datetime) -> None:
        """Remove the goal."""
        self.trigger_event(self.Deleted, user_id=self.user_id, at=at)

    def _complete_if_reached(self, at: dt.datetime) -> None:
        if self.status in ("active", "paused") and self.saved_amount >= self.target_amount:
            self.trigger_event(self.Completed, user_id=self.user_id, automatic=True, at=at)


registry.register_aggregate("ledger", Goal)
# "Created" is also the library's base name, which register_aggregate passes over.
registry.register("ledger", Goal.Created, GOAL_CREATED)
