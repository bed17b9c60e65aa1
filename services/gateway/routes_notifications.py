"""Public notification routes (`/api/notifications/*`), served by the notifications context.
The list, one notification and the preferences are raw (the app reads ``response.data``);
the unread count, the writes (the app tests ``== 200``) and the device calls are enveloped
(api_service.dart:1830-2070, 4170-4270). Another user's notification is a 404."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from contracts import notifications as nt
from contracts.envelope import Envelope as E
from services.gateway.deps import NotificationsReader, NotificationsWriter, Services
from services.gateway.routing import body, slash_tolerant

router = APIRouter(prefix="/api", redirect_slashes=False)
route = slash_tolerant(router)
TAGS = ["notifications"]
ONE = "/notifications/{notification_id:uuid}"
FILTER = r"^[a-z_]{1,40}$"


@route("GET", "/notifications/list", tags=TAGS, response_model=nt.NotificationList)
async def listed(
    _: NotificationsReader,
    request: Request,
    up: Services,
    limit: int = Query(default=50, ge=1, le=200),
    offset: int = Query(default=0, ge=0, le=100_000),
    unread_only: bool = False,
    kind: str | None = Query(default=None, pattern=FILTER, alias="type"),
    priority: str | None = Query(default=None, pattern=FILTER),
    category: str | None = Query(default=None, pattern=FILTER),
) -> Response:
    """A page of the caller's notifications, newest first."""
    params = {"limit": limit, "offset": offset, "unread_only": str(unread_only).lower(),
              "type": kind, "priority": priority, "category": category}  # fmt: skip
    wanted = {k: v for k, v in params.items() if v is not None}
    return await up.forward("notifications", request, "/notifications/list", params=wanted)


@route("GET", "/notifications/unread-count", tags=TAGS, response_model=E[dict[str, int]])
async def unread_count(_: NotificationsReader, request: Request, up: Services) -> Response:
    """How many are unread (the badge)."""
    return await up.forward("notifications", request, "/notifications/unread-count", params={})


@route("GET", "/notifications/preferences", tags=TAGS, response_model=nt.PreferencesOut)
async def preferences(_: NotificationsReader, request: Request, up: Services) -> Response:
    """The caller's notification preferences."""
    return await up.forward("notifications", request, "/notifications/preferences", params={})


@route("PUT", "/notifications/preferences", tags=TAGS, response_model=nt.PreferencesOut)
async def change_preferences(
    payload: nt.Preferences, _: NotificationsWriter, request: Request, up: Services
) -> Response:
    """Change what the body sends (per kind, push, quiet hours, the master switch)."""
    return await up.forward("notifications", request, "/notifications/preferences",
                            json=body(payload), params={})  # fmt: skip


@route("POST", "/notifications/mark-all-read", tags=TAGS, response_model=E[nt.Done])
async def mark_all_read(_: NotificationsWriter, request: Request, up: Services) -> Response:
    """Mark every notification read."""
    return await up.forward("notifications", request, "/notifications/mark-all-read", params={})


@route("POST", "/notifications/register-device", status_code=201, tags=TAGS,
       response_model=E[dict[str, str]])  # fmt: skip
async def register_device(
    payload: nt.DeviceIn, _: NotificationsWriter, request: Request, up: Services
) -> Response:
    """Register the phone's push token."""
    return await up.forward("notifications", request, "/notifications/register-device",
                            json=body(payload), params={})  # fmt: skip


@route("PATCH", "/notifications/update-device", tags=TAGS, response_model=E[dict[str, str]])
async def update_device(
    payload: nt.DeviceChange, _: NotificationsWriter, request: Request, up: Services
) -> Response:
    """Swap a refreshed push token."""
    return await up.forward("notifications", request, "/notifications/update-device",
                            json=body(payload), params={})  # fmt: skip


@route("DELETE", "/notifications/unregister-device", tags=TAGS,
       response_model=E[dict[str, str]])  # fmt: skip
async def unregister_device(
    payload: nt.DeviceOut, _: NotificationsWriter, request: Request, up: Services
) -> Response:
    """Forget a push token (logout)."""
    return await up.forward("notifications", request, "/notifications/unregister-device",
                            json=body(payload), params={})  # fmt: skip


@route("GET", ONE, tags=TAGS, response_model=nt.NotificationOut)
async def one(
    notification_id: uuid.UUID, _: NotificationsReader, request: Request, up: Services
) -> Response:
    """One of the caller's notifications."""
    path = f"/notifications/{notification_id}"
    return await up.forward("notifications", request, path, params={})


@route("POST", ONE + "/mark-read", tags=TAGS, response_model=E[nt.Done])
async def mark_read(
    notification_id: uuid.UUID, _: NotificationsWriter, request: Request, up: Services
) -> Response:
    """Mark one read."""
    path = f"/notifications/{notification_id}/mark-read"
    return await up.forward("notifications", request, path, params={})


@route("DELETE", ONE, tags=TAGS, response_model=E[nt.Done])
async def delete(
    notification_id: uuid.UUID, _: NotificationsWriter, request: Request, up: Services
) -> Response:
    """Delete one (200)."""
    path = f"/notifications/{notification_id}"
    return await up.forward("notifications", request, path, params={})
