"""The notifications context's published contract: what the app sends and reads
(notification_model.dart, api_service.dart:1830-2070, 4170-4270) and the event names."""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, StringConstraints

from contracts.envelope import Tolerant

NOTIFICATION_CREATED: Final = "notifications.NotificationCreated"
NOTIFICATION_READ: Final = "notifications.NotificationRead"
NOTIFICATION_DELETED: Final = "notifications.NotificationDeleted"
PUSH_SENT: Final = "notifications.PushSent"
PUSH_SKIPPED: Final = "notifications.PushSkipped"
PUSH_FAILED: Final = "notifications.PushFailed"
DEVICE_REGISTERED: Final = "notifications.DeviceRegistered"
DEVICE_TOKEN_REPLACED: Final = "notifications.DeviceTokenReplaced"  # noqa: S105 - an event name
DEVICE_UNREGISTERED: Final = "notifications.DeviceUnregistered"
DEVICE_DROPPED: Final = "notifications.DeviceDropped"
PREFERENCES_CHANGED: Final = "notifications.PreferencesChanged"
NOTIFICATION_EVENTS: Final = frozenset(
    {NOTIFICATION_CREATED, NOTIFICATION_READ, NOTIFICATION_DELETED, PUSH_SENT, PUSH_SKIPPED,
     PUSH_FAILED}
)  # fmt: skip
DEVICE_EVENTS: Final = frozenset(
    {DEVICE_REGISTERED, DEVICE_TOKEN_REPLACED, DEVICE_UNREGISTERED, DEVICE_DROPPED}
)
PushToken = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4096)]
Platform = Literal["ios", "android"]
Clock = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]


class DeviceIn(Tolerant):
    """``POST /notifications/register-device``."""

    push_token: PushToken
    platform: Platform
    app_version: str | None = None
    device_id: str | None = None


class DeviceChange(Tolerant):
    """``PATCH /notifications/update-device`` (the FCM token was refreshed)."""

    old_push_token: PushToken
    new_push_token: PushToken
    platform: Platform


class DeviceOut(Tolerant):
    """``DELETE /notifications/unregister-device`` (a JSON body on a DELETE)."""

    push_token: PushToken
    platform: Platform | None = None


class Preferences(Tolerant):
    """``PUT /notifications/preferences``: what is sent changes (NotificationPreferences, plus
    quiet hours in the user's local time and the master switch)."""

    notifications_enabled: bool | None = None
    push_enabled: bool | None = None
    email_enabled: bool | None = None
    budget_alerts: bool | None = None
    goal_updates: bool | None = None
    daily_reminders: bool | None = None
    ai_recommendations: bool | None = None
    transaction_alerts: bool | None = None
    achievement_notifications: bool | None = None
    quiet_hours_enabled: bool | None = None
    quiet_hours_start: Clock | None = None
    quiet_hours_end: Clock | None = None


class PreferencesOut(BaseModel):
    """The preferences as they stand (raw object)."""

    notifications_enabled: bool
    push_enabled: bool
    email_enabled: bool
    budget_alerts: bool
    goal_updates: bool
    daily_reminders: bool
    ai_recommendations: bool
    transaction_alerts: bool
    achievement_notifications: bool
    quiet_hours_enabled: bool
    quiet_hours_start: str
    quiet_hours_end: str


class NotificationOut(BaseModel):
    """One notification (NotificationModel.fromJson: the first ten are required)."""

    id: str
    user_id: str
    title: str
    message: str
    type: str
    priority: str
    status: str
    is_read: bool
    created_at: str
    updated_at: str
    image_url: str | None = None
    action_url: str | None = None
    data: dict[str, Any] | None = None
    channel: str | None = None
    read_at: str | None = None
    scheduled_for: str | None = None
    sent_at: str | None = None
    delivered_at: str | None = None
    error_message: str | None = None
    expires_at: str | None = None
    category: str | None = None
    group_key: str | None = None


class NotificationList(BaseModel):
    """``GET /notifications/list`` (raw)."""

    notifications: list[NotificationOut]
    total: int
    unread_count: int
    has_more: bool


class Done(BaseModel):
    """A write's answer (the app tests the status only)."""

    message: str
    marked: int | None = None
