"""Notifications HTTP API (internal; the gateway publishes it under /api). The list, one
notification and the preferences are raw objects (the app reads ``response.data`` so); the
unread count, the writes and the device calls are in the envelope. Another user's notification is a
404, the same as an unknown or deleted one."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from contracts.notifications import DeviceChange, DeviceIn, DeviceOut, Preferences
from services.notifications import queries
from services.notifications.deps import Context, NotificationsContext, Reader, Writer
from services.notifications.domain import NotificationNotFound
from shared.api import ApiError, JSONResponse, ok, positioned

router = APIRouter(prefix="/notifications")
NOT_FOUND = "Notification not found"
FILTER = r"^[a-z_]{1,40}$"


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def shown(row: dict[str, Any]) -> dict[str, Any]:
    """A notification as NotificationModel.fromJson reads it."""
    return {
        "id": str(row["id"]), "user_id": str(row["user_id"]), "title": row["title"],
        "message": row["message"], "type": row["kind"], "priority": row["priority"],
        "status": row["status"], "is_read": row["is_read"],
        "created_at": row["created_at"].isoformat(), "updated_at": row["updated_at"].isoformat(),
        "image_url": None, "action_url": row["action_url"], "data": row["data"],
        "channel": row["channel"], "read_at": _iso(row["read_at"]), "scheduled_for": None,
        "sent_at": _iso(row["sent_at"]), "delivered_at": _iso(row["sent_at"]),
        "error_message": row["error_message"], "expires_at": None, "category": row["category"],
        "group_key": row["kind"],
    }  # fmt: skip


def done(message: str, position: int, **extra: Any) -> Response:
    """A write's answer (200: the app tests ``== 200`` and reads no body)."""
    return ok({"message": message, **extra}, headers=positioned(position))


async def wrote(ctx: NotificationsContext, position: int) -> None:
    """Read-your-writes on the inbox."""
    await ctx.caught_up(position)


@router.get("/list")
async def listed(
    caller: Reader,
    ctx: Context,
    limit: int = Query(default=50, ge=1, le=200),
    offset: int = Query(default=0, ge=0, le=100_000),
    unread_only: bool = False,
    kind: str | None = Query(default=None, pattern=FILTER, alias="type"),
    priority: str | None = Query(default=None, pattern=FILTER),
    category: str | None = Query(default=None, pattern=FILTER),
) -> Response:
    """A page of the caller's notifications, newest first (raw)."""
    async with ctx.pool.connection() as conn:
        rows, total, unread = await queries.page(
            conn, ctx.schema, caller.sub, limit=limit, offset=offset, unread_only=unread_only,
            kind=kind, priority=priority, category=category,
        )  # fmt: skip
    page = {"notifications": [shown(r) for r in rows], "total": total, "unread_count": unread,
            "has_more": offset + len(rows) < total}  # fmt: skip
    return JSONResponse(page)


@router.get("/unread-count")
async def unread_count(caller: Reader, ctx: Context) -> Response:
    """How many of the caller's notifications are unread."""
    async with ctx.pool.connection() as conn:
        return ok({"unread_count": await queries.unread(conn, ctx.schema, caller.sub)})


@router.get("/preferences")
async def preferences(caller: Reader, ctx: Context) -> Response:
    """The caller's preferences (defaults where never set; raw)."""
    async with ctx.pool.connection() as conn:
        return JSONResponse(await queries.preferences(conn, ctx.schema, caller.sub))


@router.put("/preferences")
async def change_preferences(body: Preferences, caller: Writer, ctx: Context) -> Response:
    """Change what the body sends (raw answer: the preferences as they now stand)."""
    wanted = body.model_dump(exclude_none=True)
    values, position = await ctx.run(ctx.application.change_preferences, caller.sub, wanted,
                                     ctx.now())  # fmt: skip
    await wrote(ctx, position)
    return JSONResponse(values, headers=positioned(position))


@router.post("/mark-all-read")
async def mark_all_read(caller: Writer, ctx: Context) -> Response:
    """Mark every unread notification of the caller read (one transaction)."""
    async with ctx.pool.connection() as conn:
        ids = await queries.unread_ids(conn, ctx.schema, caller.sub)
    try:
        position = await ctx.run(ctx.application.mark_read, ids, caller.sub, ctx.now())
    except NotificationNotFound:  # deleted meanwhile: mark the rest
        position = 0
    await wrote(ctx, position)
    return done("All notifications marked as read", position, marked=len(ids))


@router.post("/register-device", status_code=201)
async def register_device(body: DeviceIn, caller: Writer, ctx: Context) -> Response:
    """Add the device's push token."""
    new, position = await ctx.run(
        ctx.application.register_device, caller.sub, body.push_token, body.platform,
        body.device_id, body.app_version, ctx.now(),
    )  # fmt: skip
    await wrote(ctx, position)
    device = body.device_id or str(uuid.uuid5(uuid.NAMESPACE_OID, body.push_token))
    return ok({"device_id": device, "status": "registered" if new else "updated"},
              status=201, headers=positioned(position))  # fmt: skip


@router.patch("/update-device")
async def update_device(body: DeviceChange, caller: Writer, ctx: Context) -> Response:
    """Swap a refreshed push token."""
    position = await ctx.run(ctx.application.replace_device, caller.sub, body.old_push_token,
                             body.new_push_token, body.platform, ctx.now())  # fmt: skip
    await wrote(ctx, position)
    return ok({"status": "updated"}, headers=positioned(position))


@router.delete("/unregister-device")
async def unregister_device(body: DeviceOut, caller: Writer, ctx: Context) -> Response:
    """Remove a push token (logout); an unknown one is already gone."""
    position = await ctx.run(ctx.application.unregister_device, caller.sub, body.push_token,
                             ctx.now())  # fmt: skip
    await wrote(ctx, position)
    return ok({"status": "unregistered"}, headers=positioned(position))


@router.get("/{notification_id}")
async def one(notification_id: uuid.UUID, caller: Reader, ctx: Context) -> Response:
    """One of the caller's notifications (raw)."""
    async with ctx.pool.connection() as conn:
        row = await queries.one(conn, ctx.schema, caller.sub, notification_id)
    if row is None:
        raise ApiError(404, NOT_FOUND)
    return JSONResponse(shown(row))


@router.post("/{notification_id}/mark-read")
async def mark_read(notification_id: uuid.UUID, caller: Writer, ctx: Context) -> Response:
    """Mark one notification read."""
    try:
        position = await ctx.run(ctx.application.mark_read, [notification_id], caller.sub,
                                 ctx.now())  # fmt: skip
    except NotificationNotFound:
        raise ApiError(404, NOT_FOUND) from None
    await wrote(ctx, position)
    return done("Notification marked as read", position)


@router.delete("/{notification_id}")
async def delete(notification_id: uuid.UUID, caller: Writer, ctx: Context) -> Response:
    """Delete one notification (200: the app tests ``== 200``)."""
    try:
        position = await ctx.run(ctx.application.delete_notification, notification_id,
                                 caller.sub, ctx.now())  # fmt: skip
    except NotificationNotFound:
        raise ApiError(404, NOT_FOUND) from None
    await wrote(ctx, position)
    return done("Notification deleted", position)
