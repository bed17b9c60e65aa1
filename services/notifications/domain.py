"""The notifications context's aggregates (no I/O).

A ``Notification`` has an id derived from the event that triggered it, so a redelivered or
re-decided event finds it already there: one notification per triggering event. It records
its push outcome once. A user's ``Devices`` hold the push tokens; ``NotificationSettings`` the
preferences (what a change sends is what the event carries).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from eventsourcing.domain import Aggregate

from shared.envelope import registry

NAMESPACE = uuid.UUID("3e9a6c52-1f7b-4d0e-8a24-b5c61f9d7e03")


class NotificationNotFound(Exception):
    """No live notification of the caller has this id."""


def notification_id(source: str, event_id: uuid.UUID, kind: str) -> uuid.UUID:
    """The one notification of kind ``kind`` that the event ``event_id`` of ``source`` raises."""
    return uuid.uuid5(NAMESPACE, f"{source}:{event_id}:{kind}")


def devices_id(user_id: uuid.UUID) -> uuid.UUID:
    """The one device list of a user."""
    return uuid.uuid5(NAMESPACE, f"devices:{user_id}")


def settings_id(user_id: uuid.UUID) -> uuid.UUID:
    """The one preferences record of a user."""
    return uuid.uuid5(NAMESPACE, f"settings:{user_id}")


class Notification(Aggregate):
    """One notification for one user."""

    class NotificationCreated(Aggregate.Created):
        """What the user is told, and what told it."""

        user_id: uuid.UUID
        kind: str
        title: str
        message: str
        priority: str
        category: str
        data: dict[str, Any]
        action_url: str | None
        source: str
        at: dt.datetime

    class NotificationRead(Aggregate.Event):
        """The user read it."""

        user_id: uuid.UUID
        at: dt.datetime

        def apply(self, aggregate: Aggregate) -> None:
            """Read."""
            assert isinstance(aggregate, Notification)
            aggregate.read = True

    class NotificationDeleted(Aggregate.Event):
        """Gone from the list."""

        user_id: uuid.UUID
        at: dt.datetime

        def apply(self, aggregate: Aggregate) -> None:
            """Deleted."""
            assert isinstance(aggregate, Notification)
            aggregate.deleted = True

    class PushSent(Aggregate.Event):
        """Pushed to these devices (``channel``: ``fcm``, or ``outbox`` when recorded only)."""

        user_id: uuid.UUID
        channel: str
        tokens: list[str]
        at: dt.datetime

        def apply(self, aggregate: Aggregate) -> None:
            """The push is settled."""
            assert isinstance(aggregate, Notification)
            aggregate.pushed = True

    class PushSkipped(Aggregate.Event):
        """Not pushed: ``reason`` is the preference, the quiet hours or no device."""

        user_id: uuid.UUID
        reason: str
        at: dt.datetime

        def apply(self, aggregate: Aggregate) -> None:
            """The push is settled."""
            assert isinstance(aggregate, Notification)
            aggregate.pushed = True

    class PushFailed(Aggregate.Event):
        """Every device refused or the provider kept failing."""

        user_id: uuid.UUID
        reason: str
        at: dt.datetime

        def apply(self, aggregate: Aggregate) -> None:
            """The push is settled."""
            assert isinstance(aggregate, Notification)
            aggregate.pushed = True

    def __init__(self, user_id: uuid.UUID, kind: str, title: str, message: str, priority: str,
                 category: str, data: dict[str, Any], action_url: str | None, source: str,
                 at: dt.datetime) -> None:  # fmt: skip
        self.user_id, self.kind, self.title, self.message = user_id, kind, title, message
        self.priority, self.category, self.data, self.action_url = (
            priority,
            category,
            data,
            action_url,
        )
        self.source, self.created_at = source, at
        self.read = self.deleted = self.pushed = False

    @classmethod
    def raise_for(cls, *, source: str, event_id: uuid.UUID, user_id: uuid.UUID, kind: str,
                  title: str, message: str, priority: str, category: str, data: dict[str, Any],
                  action_url: str | None, at: dt.datetime) -> Notification:  # fmt: skip
        """The notification the event ``event_id`` of ``source`` raises."""
        return cls._create(
            cls.NotificationCreated, id=notification_id(source, event_id, kind), user_id=user_id,
            kind=kind, title=title, message=message, priority=priority, category=category,
            data=data, action_url=action_url, source=f"{source}:{event_id}", at=at,
        )  # fmt: skip

    def check_owner(self, user_id: uuid.UUID) -> None:
        """NotificationNotFound unless this is a live notification of ``user_id``."""
        if self.deleted or self.user_id != user_id:
            raise NotificationNotFound(str(self.id))

    def mark_read(self, at: dt.datetime) -> bool:
        """Read it; whether it was unread."""
        if self.read:
            return False
        self.trigger_event(self.NotificationRead, user_id=self.user_id, at=at)
        return True

    def delete(self, at: dt.datetime) -> None:
        """Delete it."""
        self.trigger_event(self.NotificationDeleted, user_id=self.user_id, at=at)

    def pushed_to(self, channel: str, tokens: list[str], at: dt.datetime) -> bool:
        """Record a push (once); whether this was the first outcome."""
        if self.pushed:
            return False
        self.trigger_event(self.PushSent, user_id=self.user_id, channel=channel, tokens=tokens,
                           at=at)  # fmt: skip
        return True

    def not_pushed(self, reason: str, at: dt.datetime, *, failed: bool = False) -> bool:
        """Record that no push went out (once); whether this was the first outcome."""
        if self.pushed:
            return False
        event = self.PushFailed if failed else self.PushSkipped
        self.trigger_event(event, user_id=self.user_id, reason=reason, at=at)
        return True


class Devices(Aggregate):
    """A user's push tokens and their platforms."""

    class DevicesOpened(Aggregate.Created):
        """The list exists."""

        user_id: uuid.UUID

    class DeviceRegistered(Aggregate.Event):
        """A token the app registered."""

        user_id: uuid.UUID
        push_token: str
        platform: str
        device_id: str | None
        app_version: str | None
        at: dt.datetime

        def apply(self, aggregate: Aggregate) -> None:
            """Add it."""
            assert isinstance(aggregate, Devices)
            aggregate.tokens = {**aggregate.tokens, self.push_token: self.platform}

    class DeviceTokenReplaced(Aggregate.Event):
        """FCM refreshed a token."""

        user_id: uuid.UUID
        old_push_token: str
        new_push_token: str
        platform: str
        at: dt.datetime

        def apply(self, aggregate: Aggregate) -> None:
            """Swap it."""
            assert isinstance(aggregate, Devices)
            kept = {k: v for k, v in aggregate.tokens.items() if k != self.old_push_token}
            aggregate.tokens = {**kept, self.new_push_token: self.platform}

    class DeviceUnregistered(Aggregate.Event):
        """The app gave the token up (logout)."""

        user_id: uuid.UUID
        push_token: str
        at: dt.datetime

        def apply(self, aggregate: Aggregate) -> None:
            """Remove it."""
            assert isinstance(aggregate, Devices)
            aggregate.tokens = {k: v for k, v in aggregate.tokens.items() if k != self.push_token}

    class DeviceDropped(Aggregate.Event):
        """The push provider said the token is no longer valid."""

        user_id: uuid.UUID
        push_token: str
        reason: str
        at: dt.datetime

        def apply(self, aggregate: Aggregate) -> None:
            """Remove it."""
            assert isinstance(aggregate, Devices)
            aggregate.tokens = {k: v for k, v in aggregate.tokens.items() if k != self.push_token}

    def __init__(self, user_id: uuid.UUID) -> None:
        self.user_id = user_id
        self.tokens: dict[str, str] = {}

    @classmethod
    def open(cls, user_id: uuid.UUID) -> Devices:
        """A user's empty device list."""
        return cls._create(cls.DevicesOpened, id=devices_id(user_id), user_id=user_id)

    def register(self, token: str, platform: str, device_id: str | None,
                 app_version: str | None, at: dt.datetime) -> bool:  # fmt: skip
        """Add a token; whether it was new (a known one on the same platform is kept)."""
        if self.tokens.get(token) == platform:
            return False
        self.trigger_event(self.DeviceRegistered, user_id=self.user_id, push_token=token,
                           platform=platform, device_id=device_id, app_version=app_version,
                           at=at)  # fmt: skip
        return True

    def replace(self, old: str, new: str, platform: str, at: dt.datetime) -> bool:
        """Swap a refreshed token; whether anything changed."""
        if old == new and self.tokens.get(new) == platform:
            return False
        self.trigger_event(self.DeviceTokenReplaced, user_id=self.user_id, old_push_token=old,
                           new_push_token=new, platform=platform, at=at)  # fmt: skip
        return True

    def unregister(self, token: str, at: dt.datetime) -> bool:
        """Remove a token; whether it was there."""
        if token not in self.tokens:
            return False
        self.trigger_event(self.DeviceUnregistered, user_id=self.user_id, push_token=token, at=at)
        return True

    def drop(self, token: str, reason: str, at: dt.datetime) -> bool:
        """Remove a token the provider refused; whether it was there."""
        if token not in self.tokens:
            return False
        self.trigger_event(self.DeviceDropped, user_id=self.user_id, push_token=token,
                           reason=reason, at=at)  # fmt: skip
        return True


class NotificationSettings(Aggregate):
    """A user's notification preferences (what changed, as sent)."""

    class NotificationSettingsOpened(Aggregate.Created):
        """The record exists (defaults until changed)."""

        user_id: uuid.UUID

    class PreferencesChanged(Aggregate.Event):
        """The fields that changed, to their new values."""

        user_id: uuid.UUID
        changes: dict[str, Any]
        at: dt.datetime

        def apply(self, aggregate: Aggregate) -> None:
            """Merge the changes."""
            assert isinstance(aggregate, NotificationSettings)
            aggregate.values = {**aggregate.values, **self.changes}

    def __init__(self, user_id: uuid.UUID) -> None:
        self.user_id = user_id
        self.values: dict[str, Any] = {}

    @classmethod
    def open(cls, user_id: uuid.UUID) -> NotificationSettings:
        """A user's preferences at their defaults."""
        return cls._create(cls.NotificationSettingsOpened, id=settings_id(user_id),
                           user_id=user_id)  # fmt: skip

    def change(self, wanted: dict[str, Any], defaults: dict[str, Any], at: dt.datetime) -> bool:
        """Apply what differs from the current values; whether anything changed."""
        current = {**defaults, **self.values}
        changes = {k: v for k, v in wanted.items() if current.get(k) != v}
        if not changes:
            return False
        self.trigger_event(self.PreferencesChanged, user_id=self.user_id, changes=changes, at=at)
        return True


for _aggregate in (Notification, Devices, NotificationSettings):
    registry.register_aggregate("notifications", _aggregate, short_names=True)
