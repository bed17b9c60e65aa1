"""Notification use cases: load, decide, save; each returns the stored position (0: nothing
changed)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.notifications.domain import (
    Devices,
    Notification,
    NotificationNotFound,
    NotificationSettings,
    devices_id,
    notification_id,
    settings_id,
)
from services.notifications.push import Delivery
from services.notifications.rules import DEFAULTS, Draft
from shared.store import MitaApplication


class NotificationsApplication(MitaApplication):
    """Write model of the notifications service."""

    name = "notifications"
    service = "notifications"

    def _save(self, *aggregates: Any) -> int:
        recordings = self.save(*aggregates)
        return max((r.notification.id for r in recordings), default=0)

    def _get(self, aggregate_id: uuid.UUID, kind: type[Any]) -> Any:
        try:
            found: Any = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, kind) else None

    def raise_notification(self, source: str, event_id: uuid.UUID, user_id: uuid.UUID,
                           draft: Draft, at: dt.datetime) -> int:  # fmt: skip
        """Raise the notification an event calls for, once (again: nothing is stored)."""
        if self._get(notification_id(source, event_id, draft.kind), Notification) is not None:
            return 0
        made = Notification.raise_for(
            source=source, event_id=event_id, user_id=user_id, kind=draft.kind,
            title=draft.title, message=draft.message, priority=draft.priority,
            category=draft.category, data=draft.data, action_url=draft.action_url, at=at,
        )  # fmt: skip
        try:
            return self._save(made)
        except IntegrityError:  # raised at the same moment by another worker
            return 0

    def owned(self, notification: uuid.UUID, user_id: uuid.UUID) -> Notification:
        """A live notification of ``user_id`` (NotificationNotFound otherwise)."""
        found: Notification | None = self._get(notification, Notification)
        if found is None:
            raise NotificationNotFound(str(notification))
        found.check_owner(user_id)
        return found

    def mark_read(self, notifications: list[uuid.UUID], user_id: uuid.UUID,
                  now: dt.datetime) -> int:  # fmt: skip
        """Mark the caller's notifications read, all in one transaction."""
        changed = [n for n in (self.owned(i, user_id) for i in notifications) if n.mark_read(now)]
        return self._save(*changed) if changed else 0

    def delete_notification(self, notification: uuid.UUID, user_id: uuid.UUID,
                            now: dt.datetime) -> int:  # fmt: skip
        """Delete one of the caller's notifications."""
        found = self.owned(notification, user_id)
        found.delete(now)
        return self._save(found)

    def record_delivery(self, notification: uuid.UUID, channel: str, done: Delivery,
                        now: dt.datetime) -> int:  # fmt: skip
        """The push's outcome (once) and the tokens the provider refused, in one save."""
        found = self._get(notification, Notification)
        if found is None:
            return 0
        if done.sent:
            settled = found.pushed_to(channel, done.sent, now)
        elif done.failed:
            settled = found.not_pushed(done.reason or "the provider failed", now, failed=True)
        else:
            settled = found.not_pushed("no_valid_device", now)
        devices = self._get(devices_id(found.user_id), Devices)
        dropped = devices is not None and any(
            [devices.drop(t, "invalid token", now) for t in done.invalid]
        )
        touched = [found] if settled else []
        return self._save(*touched, *([devices] if dropped else [])) if touched or dropped else 0

    def skip_push(self, notification: uuid.UUID, reason: str, now: dt.datetime) -> int:
        """No push for this notification (disabled, quiet hours, no device)."""
        found = self._get(notification, Notification)
        if found is None or not found.not_pushed(reason, now):
            return 0
        return self._save(found)

    def _devices(self, user_id: uuid.UUID) -> Devices:
        return self._get(devices_id(user_id), Devices) or Devices.open(user_id)

    def register_device(self, user_id: uuid.UUID, token: str, platform: str,
                        device_id: str | None, app_version: str | None,
                        now: dt.datetime) -> tuple[bool, int]:  # fmt: skip
        """Add a push token; whether it was new, and the position."""
        devices = self._devices(user_id)
        new = devices.register(token, platform, device_id, app_version, now)
        return new, self._save(devices) if new else 0

    def replace_device(self, user_id: uuid.UUID, old: str, new: str, platform: str,
                       now: dt.datetime) -> int:  # fmt: skip
        """Swap a refreshed token."""
        devices = self._devices(user_id)
        return self._save(devices) if devices.replace(old, new, platform, now) else 0

    def unregister_device(self, user_id: uuid.UUID, token: str, now: dt.datetime) -> int:
        """Remove a token (an unknown one: nothing to do)."""
        devices = self._get(devices_id(user_id), Devices)
        if devices is None or not devices.unregister(token, now):
            return 0
        return self._save(devices)

    def change_preferences(self, user_id: uuid.UUID, wanted: dict[str, Any],
                           now: dt.datetime) -> tuple[dict[str, Any], int]:  # fmt: skip
        """Apply the sent preferences; the resulting values and the position."""
        found = self._get(settings_id(user_id), NotificationSettings)
        record = found or NotificationSettings.open(user_id)
        changed = record.change(wanted, DEFAULTS, now)
        values = {**DEFAULTS, **record.values}
        return values, self._save(record) if changed else 0
