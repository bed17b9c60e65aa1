"""Insights domain: what the app tells us directly — mood entries, usage events and behaviour
settings (no I/O).

Spending is not held here: the analytics are projections of the ledger's events.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

from eventsourcing.domain import Aggregate

from contracts.behavior import NOTIFICATION_DEFAULTS, PREFERENCE_DEFAULTS
from contracts.insights import USAGE_KINDS
from shared.envelope import registry
from shared.errors import InvalidField

MAX_METADATA_CHARS = 4000


class InvalidEntry(InvalidField, ValueError):
    """An entry the insights refuse (``field`` names it)."""


#: Each entry's facts, declared once: the event carries them and its ``apply`` assigns them.
MOOD_FIELDS: dict[str, Any] = {
    "user_id": uuid.UUID, "mood": int, "day": dt.date, "note": str | None,
    "recorded_at": dt.datetime,
}  # fmt: skip
USAGE_FIELDS: dict[str, Any] = {
    "user_id": uuid.UUID, "kind": str, "feature": str | None, "screen": str | None,
    "details": dict[str, Any], "occurred_at": dt.datetime,
}  # fmt: skip


def _assign(event: Any, aggregate: Aggregate, fields: dict[str, Any]) -> None:
    for name in fields:
        setattr(aggregate, name, getattr(event, name))


class MoodEntry(Aggregate):
    """How the user felt on a local day (1..5)."""

    class Recorded(Aggregate.Created):
        """A mood entry (``MOOD_FIELDS``)."""

        __annotations__ = dict(MOOD_FIELDS)
        if TYPE_CHECKING:

            def __getattr__(self, name: str) -> Any: ...

        def apply(self, aggregate: Aggregate) -> None:
            """Assign the entry's facts."""
            _assign(self, aggregate, MOOD_FIELDS)

    if TYPE_CHECKING:  # set from MOOD_FIELDS

        def __getattr__(self, name: str) -> Any: ...

    @classmethod
    def record(cls, *, entry_id: uuid.UUID, **fields: Any) -> MoodEntry:
        """Decide a mood entry (1..5, a plausible day)."""
        if not 1 <= fields["mood"] <= 5:
            raise InvalidEntry("mood must be between 1 and 5", "mood")
        latest = fields["recorded_at"].date() + dt.timedelta(days=2)
        if not dt.date(2000, 1, 1) <= fields["day"] <= latest:
            raise InvalidEntry("date must not be in the future", "date")
        return cls._create(cls.Recorded, id=entry_id, **fields)


class UsageEvent(Aggregate):
    """One app usage event (feature used, a premium feature tried, a paywall shown)."""

    class Recorded(Aggregate.Created):
        """A usage event (``USAGE_FIELDS``)."""

        __annotations__ = dict(USAGE_FIELDS)
        if TYPE_CHECKING:

            def __getattr__(self, name: str) -> Any: ...

        def apply(self, aggregate: Aggregate) -> None:
            """Assign the event's facts."""
            _assign(self, aggregate, USAGE_FIELDS)

    if TYPE_CHECKING:  # set from USAGE_FIELDS

        def __getattr__(self, name: str) -> Any: ...

    @classmethod
    def record(cls, *, event_id: uuid.UUID, **fields: Any) -> UsageEvent:
        """Decide a usage event (a known kind, bounded details)."""
        if fields["kind"] not in USAGE_KINDS:
            raise InvalidEntry(f"unknown usage event kind {fields['kind']!r}", "kind")
        if len(repr(fields["details"])) > MAX_METADATA_CHARS:
            raise InvalidEntry("metadata is too large", "metadata")
        return cls._create(cls.Recorded, id=event_id, **fields)


SETTINGS_NAMESPACE = uuid.UUID("0b6a4e1c-3d2f-4a8b-9c7e-5f1d2a3b4c6d")
#: The two groups of behaviour settings and their defaults (the published contract's).
SETTINGS_DEFAULTS: dict[str, dict[str, bool]] = {
    "preferences": dict(PREFERENCE_DEFAULTS),
    "notifications": dict(NOTIFICATION_DEFAULTS),
}


def settings_id(user_id: uuid.UUID) -> uuid.UUID:
    """The id of a user's one settings aggregate."""
    return uuid.uuid5(SETTINGS_NAMESPACE, str(user_id))


class BehaviorSettings(Aggregate):
    """A user's behaviour analysis switches and behaviour notification settings."""

    class Started(Aggregate.Created):
        """The user's settings begin (every switch at its default)."""

        user_id: uuid.UUID

    class PreferencesChanged(Aggregate.Event):
        """Some analysis switches changed (only those in ``changes``)."""

        user_id: uuid.UUID
        changes: dict[str, bool]
        changed_at: dt.datetime

        def apply(self, aggregate: Aggregate) -> None:
            """The switches now."""
            assert isinstance(aggregate, BehaviorSettings)
            aggregate.preferences = {**aggregate.preferences, **self.changes}

    class NotificationsChanged(Aggregate.Event):
        """Some notification settings changed (only those in ``changes``)."""

        user_id: uuid.UUID
        changes: dict[str, bool]
        changed_at: dt.datetime

        def apply(self, aggregate: Aggregate) -> None:
            """The settings now."""
            assert isinstance(aggregate, BehaviorSettings)
            aggregate.notifications = {**aggregate.notifications, **self.changes}

    def __init__(self, user_id: uuid.UUID) -> None:
        self.user_id = user_id
        self.preferences: dict[str, bool] = dict(SETTINGS_DEFAULTS["preferences"])
        self.notifications: dict[str, bool] = dict(SETTINGS_DEFAULTS["notifications"])

    @classmethod
    def start(cls, user_id: uuid.UUID) -> BehaviorSettings:
        """A user's settings at their defaults."""
        return cls._create(cls.Started, id=settings_id(user_id), user_id=user_id)

    def change(self, group: str, given: dict[str, bool | None], at: dt.datetime) -> bool:
        """Change the given switches of ``group`` (None: unchanged); False when none moved."""
        current = getattr(self, group)
        changes = {
            k: v for k, v in given.items() if v is not None and k in current and current[k] != v
        }
        if not changes:
            return False
        event = self.PreferencesChanged if group == "preferences" else self.NotificationsChanged
        self.trigger_event(event, user_id=self.user_id, changes=changes, changed_at=at)
        return True


SNAPSHOT_NAMESPACE = uuid.UUID("7c2d9e4f-1a3b-4c5d-8e6f-9a0b1c2d3e4f")
#: A snapshot's facts, declared once: the event carries them and its ``apply`` assigns them.
SNAPSHOT_FIELDS: dict[str, Any] = {
    "score": int | None, "rating": str, "risk": str, "components": dict[str, float],
    "summary": str, "taken_at": dt.datetime,
}  # fmt: skip


def snapshot_id(user_id: uuid.UUID, year: int, month: int) -> uuid.UUID:
    """The id of a user's snapshot of one month."""
    return uuid.uuid5(SNAPSHOT_NAMESPACE, f"{user_id}:{year:04d}-{month:02d}")


class MonthSnapshot(Aggregate):
    """A user's rated snapshot of one month; taking it again records what changed."""

    class Opened(Aggregate.Created):
        """The month's snapshots begin."""

        user_id: uuid.UUID
        year: int
        month: int

    class Taken(Aggregate.Event):
        """The month as it stood (``SNAPSHOT_FIELDS``)."""

        __annotations__ = {"user_id": uuid.UUID, "year": int, "month": int, **SNAPSHOT_FIELDS}
        if TYPE_CHECKING:

            def __getattr__(self, name: str) -> Any: ...

        def apply(self, aggregate: Aggregate) -> None:
            """Assign the snapshot's facts."""
            _assign(self, aggregate, SNAPSHOT_FIELDS)

    def __init__(self, user_id: uuid.UUID, year: int, month: int) -> None:
        self.user_id, self.year, self.month = user_id, year, month
        self.summary: str | None = None

    if TYPE_CHECKING:  # set from SNAPSHOT_FIELDS

        def __getattr__(self, name: str) -> Any: ...

    @classmethod
    def open(cls, user_id: uuid.UUID, year: int, month: int) -> MonthSnapshot:
        """A user's month, before its first snapshot."""
        return cls._create(
            cls.Opened, id=snapshot_id(user_id, year, month), user_id=user_id, year=year,
            month=month,
        )  # fmt: skip

    def take(self, **fields: Any) -> bool:
        """Record the month as it stands; False when it equals the last snapshot."""
        same = self.summary is not None and all(
            getattr(self, k) == v for k, v in fields.items() if k != "taken_at"
        )
        if same:
            return False
        self.trigger_event(self.Taken, user_id=self.user_id, year=self.year, month=self.month,
                           **fields)  # fmt: skip
        return True


CLUSTER_MODEL_ID = uuid.UUID("5f8e3c2a-7b1d-4e6f-9a0c-2d4b6e8f1a3c")


class ClusterModel(Aggregate):
    """The behavioural clusters' model; each refit is a new version of the one aggregate."""

    class Started(Aggregate.Created):
        """The model's history begins."""

    class Fitted(Aggregate.Event):
        """A refit: its parameters (``clusters.Model.as_json``) and when."""

        model: dict[str, Any]
        fitted_at: dt.datetime

        def apply(self, aggregate: Aggregate) -> None:
            """The current model."""
            assert isinstance(aggregate, ClusterModel)
            aggregate.model = self.model

    def __init__(self) -> None:
        self.model: dict[str, Any] | None = None

    @classmethod
    def start(cls) -> ClusterModel:
        """The one cluster model (fixed id)."""
        return cls._create(cls.Started, id=CLUSTER_MODEL_ID)

    def refit(self, model: dict[str, Any], at: dt.datetime) -> bool:
        """Store a refit; False when it equals the current model (same data, same version)."""
        if self.model is not None and self.model.get("version") == model.get("version"):
            return False
        self.trigger_event(self.Fitted, model=model, fitted_at=at)
        return True


registry.register_aggregate("insights", MoodEntry)
registry.register_aggregate("insights", ClusterModel)
registry.register_aggregate("insights", UsageEvent)
registry.register_aggregate("insights", BehaviorSettings)
registry.register_aggregate("insights", MonthSnapshot)
