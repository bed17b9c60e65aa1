"""How the notifications service runs (see ``shared.bootstrap``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.bootstrap import Bootstrap, ConsumerSpec
from shared.settings import MitaSettings

if TYPE_CHECKING:
    from fastapi import FastAPI

    from shared.projections import Consumer
    from shared.store import MitaApplication


def create_app() -> FastAPI:
    """The notifications HTTP app."""
    from services.notifications.main import create_app as build

    return build()


def application() -> type[MitaApplication]:
    """The notifications write model."""
    from services.notifications.application import NotificationsApplication

    return NotificationsApplication


def inbox(settings: MitaSettings) -> Consumer:
    """``notifications_inbox``: notifications, devices, preferences and the push outbox."""
    from services.notifications.projections import InboxProjection

    return InboxProjection(settings.schema_for("notifications"))


def fanout(settings: MitaSettings) -> Consumer:
    """``notifications_fanout``: other contexts' events in, notifications out."""
    from services.notifications.process import FanoutPolicy

    return FanoutPolicy.from_settings(settings)


def push(settings: MitaSettings) -> Consumer:
    """``notifications_push``: new notifications pushed to the user's devices."""
    from services.notifications.process import PushPolicy

    return PushPolicy.from_settings(settings)


def register_events() -> None:
    """Declare the notifications service's event types."""
    import services.notifications.domain  # noqa: F401 - importing the domain registers them


BOOTSTRAP = Bootstrap(
    "notifications",
    create_app,
    application,
    (
        ConsumerSpec("notifications_inbox", "notifications", inbox),
        ConsumerSpec("notifications_fanout", "notifications", fanout),
        ConsumerSpec("notifications_push", "notifications", push),
    ),
    register_events,
)
