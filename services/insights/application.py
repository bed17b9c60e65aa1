"""Insights use cases: load, decide, save; each returns the stored position."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.insights.domain import (
    CLUSTER_MODEL_ID,
    BehaviorSettings,
    ClusterModel,
    MonthSnapshot,
    MoodEntry,
    UsageEvent,
    settings_id,
    snapshot_id,
)
from services.insights.reports import ErrorReport
from shared.store import MitaApplication

SAVE_ATTEMPTS = 5


class InsightsApplication(MitaApplication):
    """Write model of the insights service: mood entries, usage events, behaviour settings
    and the cluster model."""

    name = "insights"
    service = "insights"

    def _save(self, *aggregates: Any) -> int:
        recordings = self.save(*aggregates)
        return max((r.notification.id for r in recordings), default=0)

    def record_mood(
        self, *, user_id: uuid.UUID, mood: int, day: dt.date, note: str | None, at: dt.datetime
    ) -> tuple[MoodEntry, int]:
        """Record how the user felt on a day."""
        entry = MoodEntry.record(
            entry_id=uuid.uuid4(), user_id=user_id, mood=mood, day=day, note=note, recorded_at=at
        )
        return entry, self._save(entry)

    def record_usage(
        self, *, user_id: uuid.UUID, kind: str, **fields: Any
    ) -> tuple[UsageEvent, int]:
        """Take in one app usage event."""
        event = UsageEvent.record(event_id=uuid.uuid4(), user_id=user_id, kind=kind, **fields)
        return event, self._save(event)

    def change_settings(
        self, *, user_id: uuid.UUID, group: str, given: dict[str, bool | None], at: dt.datetime
    ) -> tuple[dict[str, bool], int]:
        """Change some behaviour settings; return the group's settings now and the position
        (0 when nothing changed)."""
        for attempt in range(SAVE_ATTEMPTS):
            try:
                found: Any = self.repository.get(settings_id(user_id))
            except AggregateNotFoundError:
                found = BehaviorSettings.start(user_id)
            try:
                position = self._save(found) if found.change(group, given, at) else 0
            except IntegrityError:  # a concurrent change won: decide again on top of it
                if attempt + 1 == SAVE_ATTEMPTS:
                    raise
                continue
            return dict(getattr(found, group)), position
        raise AssertionError("unreachable")

    def record_snapshot(
        self, *, user_id: uuid.UUID, year: int, month: int, **fields: Any
    ) -> tuple[MonthSnapshot, int]:
        """Record a month's snapshot (position 0 when it equals the last one)."""
        for attempt in range(SAVE_ATTEMPTS):
            try:
                found: Any = self.repository.get(snapshot_id(user_id, year, month))
            except AggregateNotFoundError:
                found = MonthSnapshot.open(user_id, year, month)
            try:
                return found, self._save(found) if found.take(**fields) else 0
            except IntegrityError:  # a concurrent snapshot won: compare with it
                if attempt + 1 == SAVE_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    def refit_clusters(self, model: dict[str, Any], at: dt.datetime) -> int:
        """Store a refitted cluster model (0 when it is the current one)."""
        try:
            found: Any = self.repository.get(CLUSTER_MODEL_ID)
        except AggregateNotFoundError:
            found = ClusterModel.start()
        return self._save(found) if found.refit(model, at) else 0

    def record_error_report(self, at: dt.datetime, **report: Any) -> tuple[uuid.UUID, int]:
        """Store one error report from the app, scrubbed; its id and the position."""
        found = ErrorReport.receive(at=at, **report)
        return found.id, self._save(found)
