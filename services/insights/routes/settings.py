"""The behaviour settings (`/behavior/preferences`, `/behavior/notification_settings`,
internal routes): reads from the read model, changes through the settings aggregate."""

from __future__ import annotations

from typing import Any, Final

from fastapi import APIRouter
from pydantic import BaseModel
from starlette.responses import Response

from contracts.behavior import NotificationSettingsIn, PreferencesIn
from services.insights.deps import Context, InsightsContext, Reader, Writer
from services.insights.domain import SETTINGS_DEFAULTS
from services.insights.read.queries import Reads, behavior_settings
from shared import tokens
from shared.api import ok, positioned

router = APIRouter()
PROJECTION: Final = "insights_behavior_settings"


async def current(ctx: InsightsContext, caller: tokens.Claims, group: str) -> dict[str, Any]:
    """The group's settings: the defaults under the user's changes."""
    async with ctx.pool.connection() as conn:
        row = await behavior_settings(Reads(conn, ctx.schema), caller.sub)
    return {**SETTINGS_DEFAULTS[group], **row.get(group, {}), "updated_at": row.get(f"{group}_at")}


async def change(
    ctx: InsightsContext, caller: tokens.Claims, group: str, body: BaseModel
) -> Response:
    """Apply the switches given (null: unchanged) and answer the group's settings."""
    now = ctx.now()
    settings, position = await ctx.run(
        ctx.application.change_settings,
        user_id=caller.sub, group=group, given=body.model_dump(), at=now,
    )  # fmt: skip
    await ctx.caught_up(position, projection=PROJECTION)
    data = await current(ctx, caller, group)
    return ok({**data, **settings}, headers=positioned(position))


@router.get("/behavior/preferences")
async def preferences(caller: Reader, ctx: Context) -> Response:
    """The behaviour analysis switches."""
    return ok(await current(ctx, caller, "preferences"))


@router.patch("/behavior/preferences")
async def change_preferences(body: PreferencesIn, caller: Writer, ctx: Context) -> Response:
    """Change some analysis switches."""
    return await change(ctx, caller, "preferences", body)


@router.get("/behavior/notification_settings")
async def notification_settings(caller: Reader, ctx: Context) -> Response:
    """Which behaviour notifications the caller wants."""
    return ok(await current(ctx, caller, "notifications"))


@router.patch("/behavior/notification_settings")
async def change_notification_settings(
    body: NotificationSettingsIn, caller: Writer, ctx: Context
) -> Response:
    """Change some behaviour notification settings."""
    return await change(ctx, caller, "notifications", body)
