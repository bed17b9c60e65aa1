"""The notifications service process."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from services.notifications.api import router
from services.notifications.application import NotificationsApplication
from services.notifications.deps import NotificationsContext
from services.notifications.settings import NotificationsSettings, load_settings
from shared.service import build_app, pooled_context


def create_app(settings: NotificationsSettings | None = None) -> FastAPI:
    """Build the notifications service app."""
    cfg = settings or load_settings()

    def context(application: NotificationsApplication, pool: Any) -> NotificationsContext:
        return NotificationsContext(settings=cfg, application=application, pool=pool)

    return build_app(
        cfg,
        "notifications",
        application=NotificationsApplication.for_database,
        routers=(router,),
        resources=pooled_context(cfg, "notifications", context),
    )
