"""The ChallengeEntry aggregate (no I/O): one user's attempts at one catalogue challenge.

Joining and leaving are the only commands; progress, completion and points are measured from
the user's spending, never stored from a client. The join decides the window (local days) and,
for a cap, the limit, into the event; ``apply`` assigns.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from eventsourcing.domain import Aggregate

from shared.envelope import registry

NAMESPACE = uuid.UUID("6f2b4c1e-9a57-4d8e-b1f3-2c0de5a7c911")


class NotJoined(Exception):
    """The caller has no attempt at this challenge that can be left."""


def entry_id(user_id: uuid.UUID, challenge_id: str) -> uuid.UUID:
    """The one entry of ``user_id`` for ``challenge_id``."""
    return uuid.uuid5(NAMESPACE, f"{user_id}:{challenge_id}")


class ChallengeEntry(Aggregate):
    """A user's attempts at one challenge; the latest one is what counts."""

    class ChallengeEntryOpened(Aggregate.Created):
        """The entry exists (its first join follows in the same save)."""

        user_id: uuid.UUID
        challenge_id: str

    class ChallengeJoined(Aggregate.Event):
        """A new attempt: its window and, for a cap, the limit."""

        user_id: uuid.UUID
        challenge_id: str
        attempt: int
        start_day: dt.date
        end_day: dt.date
        cap: Decimal | None
        at: dt.datetime

        def apply(self, aggregate: Aggregate) -> None:
            """The attempt is the current one."""
            assert isinstance(aggregate, ChallengeEntry)
            aggregate.attempt = self.attempt
            aggregate.end_day = self.end_day
            aggregate.left = False

    class ChallengeLeft(Aggregate.Event):
        """The current attempt was given up on ``day``."""

        user_id: uuid.UUID
        challenge_id: str
        attempt: int
        day: dt.date
        at: dt.datetime

        def apply(self, aggregate: Aggregate) -> None:
            """The attempt is over."""
            assert isinstance(aggregate, ChallengeEntry)
            aggregate.left = True

    class ChallengeCompleted(Aggregate.Event):
        """The settling job measured the attempt completed (said once per attempt)."""

        user_id: uuid.UUID
        challenge_id: str
        name: str
        attempt: int
        day: dt.date
        points: int
        at: dt.datetime

        def apply(self, aggregate: Aggregate) -> None:
            """The attempt's completion is on record."""
            assert isinstance(aggregate, ChallengeEntry)
            aggregate.completed_attempt = self.attempt

    def __init__(self, user_id: uuid.UUID, challenge_id: str) -> None:
        self.user_id = user_id
        self.challenge_id = challenge_id
        self.attempt = 0
        self.end_day: dt.date | None = None
        self.left = False
        self.completed_attempt = 0

    @classmethod
    def open(cls, user_id: uuid.UUID, challenge_id: str) -> ChallengeEntry:
        """A new entry, with no attempt yet."""
        opened = cls.ChallengeEntryOpened
        return cls._create(opened, id=entry_id(user_id, challenge_id), user_id=user_id,
                           challenge_id=challenge_id)  # fmt: skip

    def running(self, today: dt.date) -> bool:
        """Whether the current attempt's window is still open and it was not left."""
        return (
            self.attempt > 0
            and not self.left
            and self.end_day is not None
            and (today <= self.end_day)
        )

    def join(
        self, *, today: dt.date, at: dt.datetime, window: tuple[dt.date, dt.date],
        cap: Decimal | None, settled: bool,
    ) -> bool:  # fmt: skip
        """Start a new attempt unless one is running (``settled``: the running one is already
        completed or failed, so joining again starts afresh); whether one started."""
        if self.running(today) and not settled:
            return False
        self.trigger_event(
            self.ChallengeJoined, user_id=self.user_id, challenge_id=self.challenge_id,
            attempt=self.attempt + 1, start_day=window[0], end_day=window[1], cap=cap, at=at,
        )  # fmt: skip
        return True

    def record_completion(
        self, *, attempt: int, day: dt.date, name: str, points: int, at: dt.datetime
    ) -> bool:
        """Put the current attempt's completion on record (once); whether this was the first."""
        if attempt != self.attempt or self.completed_attempt >= attempt:
            return False
        self.trigger_event(self.ChallengeCompleted, user_id=self.user_id,
                           challenge_id=self.challenge_id, name=name, attempt=attempt, day=day,
                           points=points, at=at)  # fmt: skip
        return True

    def leave(self, *, today: dt.date, at: dt.datetime) -> None:
        """Give up the running attempt (NotJoined when none runs)."""
        if not self.running(today):
            raise NotJoined(self.challenge_id)
        self.trigger_event(self.ChallengeLeft, user_id=self.user_id,
                           challenge_id=self.challenge_id, attempt=self.attempt, day=today,
                           at=at)  # fmt: skip


registry.register_aggregate("budget", ChallengeEntry, short_names=True)
