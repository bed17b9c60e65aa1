"""Habits HTTP API (internal; the gateway publishes it under /api): parse, decide, map
errors. Another user's habit, an unknown one and a deleted one are the same 404."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from contracts.habits import HabitDay, HabitIn, HabitPatch
from services.budget.deps import BudgetContext, Context, Manager, Reader
from services.budget.habits import rules
from services.budget.habits.application import SavedHabit
from services.budget.habits.domain import Habit, HabitNotFound
from services.budget.habits.queries import habits_of
from shared import tokens
from shared.api import ApiError, ok, positioned
from shared.dates import local_day

router = APIRouter()
NOT_FOUND = "Habit not found"
PROJECTION = "budget_habits"


def view(row: dict[str, Any], today: dt.date) -> dict[str, Any]:
    """A habit as the app reads it, its progress measured at the user's local today."""
    found = rules.progress(row["days"], row["target_frequency"], row["created_day"], today)
    return {
        "id": str(row["id"]), "title": row["title"], "description": row["description"],
        "target_frequency": row["target_frequency"], "created_at": row["created_at"].isoformat(),
        "completed_dates": [d.isoformat() for d in row["days"]],
        **{k: found[k] for k in ("current_streak", "longest_streak", "completion_rate",
                                 "completed_today")},
    }  # fmt: skip


def row_of(habit: Habit) -> dict[str, Any]:
    """The read-model row a habit's state folds to (answers never wait on the projection)."""
    return {"id": habit.id, "title": habit.title, "description": habit.description,
            "target_frequency": habit.target_frequency, "created_day": habit.created_day,
            "created_at": habit.created_at, "days": sorted(habit.days)}  # fmt: skip


async def decided(
    ctx: BudgetContext, caller: tokens.Claims, decide: Callable[[], SavedHabit], status: int = 200
) -> Response:
    """Run a write use case, wait (bounded) until the list has it, answer the habit."""
    saved: SavedHabit = await ctx.decided(
        decide, projection=PROJECTION, not_found=(HabitNotFound, NOT_FOUND)
    )
    data = view(row_of(saved.habit), await ctx.today(caller.sub))
    return ok(data, status=status, headers=positioned(saved.position))


@router.get("/habits")
async def listed(caller: Reader, ctx: Context) -> Response:
    """The caller's habits, oldest first, each with its streaks and completion rate."""
    today = await ctx.today(caller.sub)
    async with ctx.pool.connection() as conn:
        rows = await habits_of(conn, ctx.schema, caller.sub)
    return ok([view(r, today) for r in rows])


@router.post("/habits", status_code=201)
async def create(body: HabitIn, caller: Manager, ctx: Context) -> Response:
    """Create a habit from the app's form."""
    today, form = await ctx.today(caller.sub), body.model_dump()
    return await decided(
        ctx, caller,
        lambda: ctx.application.create_habit(user_id=caller.sub, today=today, now=ctx.now(),
                                             **form), 201,
    )  # fmt: skip


@router.patch("/habits/{habit_id}")
async def change(habit_id: uuid.UUID, body: HabitPatch, caller: Manager, ctx: Context) -> Response:
    """Change what the form sent."""
    changes = body.model_dump(exclude_none=True)
    return await decided(
        ctx, caller,
        lambda: ctx.application.update_habit(habit_id, user_id=caller.sub, now=ctx.now(),
                                             **changes),
    )  # fmt: skip


@router.delete("/habits/{habit_id}")
async def delete(habit_id: uuid.UUID, caller: Manager, ctx: Context) -> Response:
    """Delete one of the caller's habits."""
    try:
        position = await ctx.run(
            lambda: ctx.application.delete_habit(habit_id, user_id=caller.sub, now=ctx.now())
        )
    except HabitNotFound:
        raise ApiError(404, NOT_FOUND) from None
    await ctx.caught_up(position, projection=PROJECTION)
    return ok({"deleted": True, "id": str(habit_id)}, headers=positioned(position))


async def marked(
    habit_id: uuid.UUID, body: HabitDay, caller: tokens.Claims, ctx: BudgetContext, done: bool
) -> Response:
    """Complete or un-complete the day the body names (today when it names none)."""
    zone = await ctx.zone_of(caller.sub)
    now = ctx.now()
    today = now.astimezone(zone).date()
    day = local_day(body.date, zone) if body.date is not None else today
    return await decided(
        ctx, caller,
        lambda: ctx.application.mark_habit_day(habit_id, user_id=caller.sub, day=day, done=done,
                                               today=today, now=now),
    )  # fmt: skip


@router.post("/habits/{habit_id}/complete")
async def complete(habit_id: uuid.UUID, body: HabitDay, caller: Manager, ctx: Context) -> Response:
    """Mark a day done (``{date}``, the app's local day)."""
    return await marked(habit_id, body, caller, ctx, True)


@router.delete("/habits/{habit_id}/complete")
async def uncomplete(
    habit_id: uuid.UUID, body: HabitDay, caller: Manager, ctx: Context
) -> Response:
    """Unmark a day (``{date}`` in the DELETE's body, as the app sends it)."""
    return await marked(habit_id, body, caller, ctx, False)


@router.get("/habits/{habit_id}/progress")
async def progress(habit_id: uuid.UUID, caller: Reader, ctx: Context) -> Response:
    """Streaks, the completion rate and the recent periods of one habit."""
    today = await ctx.today(caller.sub)
    async with ctx.pool.connection() as conn:
        rows = await habits_of(conn, ctx.schema, caller.sub, habit_id)
    if not rows:
        raise ApiError(404, NOT_FOUND)
    row = rows[0]
    found = rules.progress(row["days"], row["target_frequency"], row["created_day"], today)
    return ok({"habit_id": str(habit_id), "target_frequency": row["target_frequency"], **found})
