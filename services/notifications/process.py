"""The notifications context's process managers.

``notifications_fanout`` turns other contexts' published events (a real-time cover, a day
over budget, a goal reached, a receipt read or not) into in-app notifications, once per
triggering event (the notification's id is derived from it), for the kinds the user wants.
``notifications_push`` pushes each new notification to the user's devices unless their
preferences or quiet hours (in their timezone) say not to; the outcome is recorded once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any, ClassVar, Self

from psycopg import AsyncConnection
from psycopg.rows import DictRow

from contracts.notifications import NOTIFICATION_CREATED
from services.notifications import queries, rules
from services.notifications.application import NotificationsApplication
from services.notifications.push import Sender, deliver, make_sender
from services.notifications.settings import NotificationsSettings
from shared.dates import timezone_of
from shared.envelope import EventEnvelope
from shared.policy import ApplicationPolicy
from shared.settings import MitaSettings


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _zone(name: str) -> dt.tzinfo:
    try:
        return timezone_of(name) or dt.UTC
    except ValueError:
        return dt.UTC


class FanoutPolicy(ApplicationPolicy[NotificationsApplication]):
    """Published events in, notifications out."""

    name = "notifications_fanout"
    sources = ("budget", "ledger", "ocr")
    handles = rules.SOURCES
    service: ClassVar[str] = "notifications"
    application_class = NotificationsApplication

    async def decide(self, reader: AsyncConnection[DictRow], event: EventEnvelope) -> None:
        """Raise what the event calls for and the user wants."""
        drafts = rules.drafts(event)
        if not drafts:
            return
        user = uuid.UUID(str(event.payload.get("user_id") or event.user_id))
        chosen = await queries.preferences(reader, self.schema, user)
        for draft in drafts:
            if rules.wanted(chosen, draft.preference):
                await asyncio.to_thread(self.application.raise_notification, event.service,
                                        event.event_id, user, draft, _now())  # fmt: skip


class PushPolicy(ApplicationPolicy[NotificationsApplication]):
    """New notifications in, pushes out (or the reason there was none)."""

    name = "notifications_push"
    sources = ("notifications",)
    handles = frozenset({NOTIFICATION_CREATED})
    service: ClassVar[str] = "notifications"
    application_class = NotificationsApplication

    def __init__(self, schema: str, database_url: str, application: NotificationsApplication,
                 sender: Sender, settings: NotificationsSettings) -> None:  # fmt: skip
        super().__init__(schema, database_url, application)
        self.sender, self.settings = sender, settings

    @classmethod
    def from_settings(cls, settings: MitaSettings) -> Self:
        """The policy with the configured sender."""
        cfg = (settings if isinstance(settings, NotificationsSettings)
               else NotificationsSettings(**settings.model_dump()))  # fmt: skip
        app = NotificationsApplication.from_settings(cfg)
        assert isinstance(app, NotificationsApplication)
        return cls(cfg.schema_for("notifications"), cfg.database_url, app, make_sender(cfg), cfg)

    async def decide(self, reader: AsyncConnection[DictRow], event: EventEnvelope) -> None:
        """Push to every device now, or record why not."""
        p: dict[str, Any] = event.payload
        user, note = uuid.UUID(str(p["user_id"])), event.aggregate_id
        chosen = await queries.preferences(reader, self.schema, user)
        zone = _zone(await queries.timezone(reader, self.schema, user))
        refusal = rules.push_refusal(chosen, _now().astimezone(zone))
        tokens = await queries.devices(reader, self.schema, user) if refusal is None else []
        if refusal is None and not tokens:
            refusal = "no_devices"
        if refusal is not None:
            await asyncio.to_thread(self.application.skip_push, note, refusal, _now())
            return
        data = {"notification_id": str(note), "type": p["kind"],
                **{k: str(v) for k, v in (p.get("data") or {}).items()}}  # fmt: skip
        done = await asyncio.to_thread(
            deliver, self.sender, tokens, p["title"], p["message"], data,
            attempts=self.settings.push_attempts, backoff=self.settings.push_backoff_seconds,
        )  # fmt: skip
        await asyncio.to_thread(self.application.record_delivery, note, self.sender.channel,
                                done, _now())  # fmt: skip
