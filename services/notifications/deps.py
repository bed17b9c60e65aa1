"""Notifications service dependencies: the context and the caller (token verified again,
scope checked; the gateway enforces revocation)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from services.notifications.application import NotificationsApplication
from shared import tokens
from shared.context_api import ServiceContext
from shared.identity import scoped

PROJECTION = "notifications_inbox"
READ_SCOPE = "read:notifications"
WRITE_SCOPE = "write:notifications"


@dataclass
class NotificationsContext(ServiceContext):
    """Everything the notifications API uses, built once per process in the app's lifespan."""

    application: NotificationsApplication

    service = "notifications"
    projection = PROJECTION


def get_context(request: Request) -> NotificationsContext:
    """The process's notifications context."""
    ctx: NotificationsContext = request.app.state.notifications
    return ctx


Context = Annotated[NotificationsContext, Depends(get_context)]
Reader = Annotated[tokens.Claims, Depends(scoped(READ_SCOPE))]
Writer = Annotated[tokens.Claims, Depends(scoped(WRITE_SCOPE))]
