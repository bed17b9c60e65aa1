"""Challenge use cases on the budget's store: load (or open) the caller's entry, decide, save;
each returns the stored position (0 when nothing changed)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.budget.challenges.domain import ChallengeEntry, NotJoined, entry_id


class ChallengeCases:
    """The challenge use cases, mixed into the budget's application (one store, one outbox)."""

    repository: Any

    def _save(self, *aggregates: Any) -> int:
        raise NotImplementedError  # provided by BudgetApplication

    def _entry(self, user_id: uuid.UUID, challenge_id: str) -> ChallengeEntry | None:
        try:
            found: Any = self.repository.get(entry_id(user_id, challenge_id))
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, ChallengeEntry) else None

    def join_challenge(
        self, user_id: uuid.UUID, challenge_id: str, *, today: dt.date, now: dt.datetime,
        window: tuple[dt.date, dt.date], cap: Decimal | None, settled: bool,
    ) -> int:  # fmt: skip
        """Start an attempt (joining a running one again changes nothing). Two joins at once:
        the second re-decides on what the first stored."""
        for retry in (False, True):
            entry = self._entry(user_id, challenge_id) or ChallengeEntry.open(user_id, challenge_id)
            if not entry.join(today=today, at=now, window=window, cap=cap, settled=settled):
                return 0
            try:
                return self._save(entry)
            except IntegrityError:
                if retry:
                    raise
                settled = False  # the other join's attempt is the running one now
        raise AssertionError("unreachable")

    def record_challenge_completion(
        self, user_id: uuid.UUID, challenge_id: str, *, attempt: int, day: dt.date, name: str,
        points: int, now: dt.datetime,
    ) -> int:  # fmt: skip
        """Put a measured completion on record (once per attempt)."""
        entry = self._entry(user_id, challenge_id)
        if entry is None or not entry.record_completion(
            attempt=attempt, day=day, name=name, points=points, at=now
        ):
            return 0
        return self._save(entry)

    def leave_challenge(
        self, user_id: uuid.UUID, challenge_id: str, *, today: dt.date, now: dt.datetime
    ) -> int:
        """Give up the running attempt (NotJoined when there is none)."""
        entry = self._entry(user_id, challenge_id)
        if entry is None:
            raise NotJoined(challenge_id)
        entry.leave(today=today, at=now)
        return self._save(entry)
