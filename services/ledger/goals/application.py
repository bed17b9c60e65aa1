"""Goal use cases on the ledger's store: load, decide, save; each returns the goal and the
stored position (0 when nothing changed)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from eventsourcing.application import AggregateNotFoundError

from services.ledger.goals.domain import Goal, GoalNotFound


@dataclass(frozen=True)
class SavedGoal:
    """A use case's goal and its last stored position (0: nothing appended)."""

    goal: Goal
    position: int


def now() -> dt.datetime:
    """The clock the decisions read (one reading per command)."""
    return dt.datetime.now(dt.UTC)


class GoalCases:
    """The goal use cases, mixed into the ledger's application (one store, one outbox)."""

    repository: Any

    def _save(self, *aggregates: Any) -> int:
        raise NotImplementedError  # provided by LedgerApplication

    def goal(self, goal_id: uuid.UUID) -> Goal:
        """Load a goal (GoalNotFound for unknown ids and other aggregates)."""
        try:
            found: Any = self.repository.get(goal_id)
        except AggregateNotFoundError:
            raise GoalNotFound(str(goal_id)) from None
        if not isinstance(found, Goal):
            raise GoalNotFound(str(goal_id))
        return found

    def owned_goal(self, goal_id: uuid.UUID, user_id: uuid.UUID) -> Goal:
        """A live goal of ``user_id`` (GoalNotFound otherwise)."""
        goal = self.goal(goal_id)
        goal.check_owner(user_id)
        return goal

    def _saved(self, goal: Goal, changed: bool = True) -> SavedGoal:
        return SavedGoal(goal, self._save(goal) if changed else 0)

    def create_goal(self, *, user_id: uuid.UUID, **form: Any) -> SavedGoal:
        """Create a goal from the app's form."""
        goal = Goal.create(goal_id=uuid.uuid4(), user_id=user_id, at=now(), **form)
        return self._saved(goal)

    def update_goal(self, goal_id: uuid.UUID, *, user_id: uuid.UUID, **changes: Any) -> SavedGoal:
        """Change the given form fields of the caller's goal."""
        goal = self.owned_goal(goal_id, user_id)
        return self._saved(goal, goal.update(now(), **changes))

    def add_goal_savings(
        self, goal_id: uuid.UUID, *, user_id: uuid.UUID, amount: Decimal
    ) -> SavedGoal:
        """Put money towards the caller's goal."""
        goal = self.owned_goal(goal_id, user_id)
        goal.add_savings(amount, now())
        return self._saved(goal)

    def change_goal_status(self, goal_id: uuid.UUID, *, user_id: uuid.UUID, to: str) -> SavedGoal:
        """Pause, resume, complete or cancel the caller's goal (repeating one is a no-op)."""
        goal = self.owned_goal(goal_id, user_id)
        decide = {"pause": goal.pause, "resume": goal.resume, "complete": goal.complete,
                  "cancel": goal.cancel}[to]  # fmt: skip
        return self._saved(goal, decide(now()))

    def delete_goal(self, goal_id: uuid.UUID, *, user_id: uuid.UUID) -> SavedGoal:
        """Delete the caller's goal."""
        goal = self.owned_goal(goal_id, user_id)
        goal.delete(now())
        return self._saved(goal)

    def link_goal_savings(
        self, goal_id: uuid.UUID, *, user_id: uuid.UUID, transaction_id: uuid.UUID, amount: Decimal
    ) -> int:
        """Count a transaction linked by ``goal_id`` at ``amount`` (0: no more); the position,
        0 when the goal is not the user's or nothing moved."""
        try:
            goal = self.owned_goal(goal_id, user_id)
        except GoalNotFound:
            return 0  # a link to a missing or foreign goal saves nothing
        return self._saved(goal, goal.link(transaction_id, amount, now())).position
