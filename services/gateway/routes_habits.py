"""Public habit routes (`/api/habits*`), served by the budget context (in ``data``; another
user's habit is a 404). The app sends ids as UUID strings and the day to (un)complete in the
body, also on DELETE (api_service.dart:1741-1805)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from starlette.responses import Response

from contracts import habits as hb
from contracts.envelope import Envelope as E
from services.gateway.deps import BudgetManager, BudgetReader, Services
from services.gateway.routing import body, slash_tolerant

router = APIRouter(prefix="/api", redirect_slashes=False)
route = slash_tolerant(router)
TAGS = ["habits"]
HABIT = "/habits/{habit_id:uuid}"


@route("GET", "/habits", tags=TAGS, response_model=E[list[hb.HabitOut]])
async def habits(_: BudgetReader, request: Request, up: Services) -> Response:
    """The caller's habits with streaks and completion rates (in the caller's local days)."""
    return await up.forward("budget", request, "/habits", params={})


@route("POST", "/habits", status_code=201, tags=TAGS, response_model=E[hb.HabitOut])
async def create(payload: hb.HabitIn, _: BudgetManager, request: Request, up: Services) -> Response:
    """Create a habit: ``{title, description, target_frequency}``."""
    return await up.forward("budget", request, "/habits", json=body(payload), params={})


@route("PATCH", HABIT, tags=TAGS, response_model=E[hb.HabitOut])
async def change(
    habit_id: uuid.UUID, payload: hb.HabitPatch, _: BudgetManager, request: Request, up: Services
) -> Response:
    """Change what the form sent."""
    return await up.forward("budget", request, f"/habits/{habit_id}", json=body(payload),
                            params={})  # fmt: skip


@route("DELETE", HABIT, tags=TAGS, response_model=E[dict[str, bool | str]])
async def delete(habit_id: uuid.UUID, _: BudgetManager, request: Request, up: Services) -> Response:
    """Delete one of the caller's habits."""
    return await up.forward("budget", request, f"/habits/{habit_id}", params={})


@route("POST", HABIT + "/complete", tags=TAGS, response_model=E[hb.HabitOut])
async def complete(
    habit_id: uuid.UUID, payload: hb.HabitDay, _: BudgetManager, request: Request, up: Services
) -> Response:
    """Mark ``{date}`` (the app's local day) done."""
    path = f"/habits/{habit_id}/complete"
    return await up.forward("budget", request, path, json=body(payload), params={})


@route("DELETE", HABIT + "/complete", tags=TAGS, response_model=E[hb.HabitOut])
async def uncomplete(
    habit_id: uuid.UUID, payload: hb.HabitDay, _: BudgetManager, request: Request, up: Services
) -> Response:
    """Unmark ``{date}``."""
    path = f"/habits/{habit_id}/complete"
    return await up.forward("budget", request, path, json=body(payload), params={})


@route("GET", HABIT + "/progress", tags=TAGS, response_model=E[hb.HabitProgress])
async def progress(
    habit_id: uuid.UUID, _: BudgetReader, request: Request, up: Services
) -> Response:
    """Streaks, the completion rate and the recent periods of one habit."""
    return await up.forward("budget", request, f"/habits/{habit_id}/progress", params={})
