"""Goals HTTP API (internal; the gateway publishes it under /api): parse, decide, map errors.
Another user's goal, an unknown one and a deleted one are the same 404."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from contracts.goals import GOAL_STATUSES, GoalCreate, GoalUpdate, SavingsIn
from services.ledger.deps import Context, HeaderZone, LedgerContext, pick_zone
from services.ledger.goals import ideas, rules
from services.ledger.goals.application import SavedGoal
from services.ledger.goals.domain import GOAL_FIELDS, Goal, GoalClosed, GoalNotFound
from services.ledger.goals.queries import goal_row, income_of, list_goals, spending_by_month
from shared import tokens
from shared.api import ApiError, ok, positioned
from shared.identity import scoped

router = APIRouter()
NOT_FOUND = "Goal not found"
SPENDING_MONTHS = 3
Reader = Annotated[tokens.Claims, Depends(scoped("read:goals"))]
Writer = Annotated[tokens.Claims, Depends(scoped("write:goals"))]
Status = Annotated[str | None, Query(pattern=f"^({'|'.join(GOAL_STATUSES)})$")]


def row_of(goal: Goal) -> dict[str, Any]:
    """The read-model row a goal's state folds to (answers never wait on the projection)."""
    row = {name: getattr(goal, name) for name in GOAL_FIELDS}
    row.update(id=goal.id, user_id=goal.user_id, status=goal.status, created_at=goal.created_at,
               updated_at=goal.updated_at, completed_at=goal.completed_at)  # fmt: skip
    return row


async def today_of(ctx: LedgerContext, caller: tokens.Claims, zone: HeaderZone) -> dt.date:
    """The caller's local today."""
    _, profile = await ctx.defaults(caller)
    return dt.datetime.now(pick_zone(zone, profile)).date()


async def decided(
    ctx: LedgerContext,
    caller: tokens.Claims,
    zone: HeaderZone,
    decide: Callable[[], SavedGoal],
    status: int = 200,
) -> Response:
    """Run a write use case, wait (bounded) until the list has it, answer the goal."""
    saved: SavedGoal = await ctx.decided(
        decide, projection="ledger_goals", not_found=(GoalNotFound, NOT_FOUND),
        conflicts=(GoalClosed,),
    )  # fmt: skip
    today = await today_of(ctx, caller, zone)
    view = rules.goal_view(row_of(saved.goal), today)
    return ok(view, status=status, headers=positioned(saved.position))


async def mine(ctx: LedgerContext, caller: tokens.Claims, goal_id: uuid.UUID) -> dict[str, Any]:
    """One of the caller's goals from the read model (404 otherwise)."""
    async with ctx.pool.connection() as conn:
        row = await goal_row(conn, ctx.schema, caller.sub, goal_id)
    if row is None:
        raise ApiError(404, NOT_FOUND)
    return row


async def numbers(
    ctx: LedgerContext, caller: tokens.Claims, zone: HeaderZone
) -> tuple[dt.date, str | None, Any, dict[tuple[str, str], Any], list[dict[str, Any]]]:
    """Today, currency, income, the last full months' spending and the goals of the caller."""
    currency, profile = await ctx.defaults(caller)
    tz = pick_zone(zone, profile)
    today = dt.datetime.now(tz).date()
    first = today.replace(day=1)
    start = dt.datetime.combine(rules.add_months(first, -SPENDING_MONTHS), dt.time(), tz)
    end = dt.datetime.combine(first, dt.time(), tz)
    async with ctx.pool.connection() as conn:
        income = await income_of(conn, ctx.schema, caller.sub)
        months = await spending_by_month(conn, ctx.schema, caller.sub, str(tz), start, end)
        goals = await list_goals(conn, ctx.schema, caller.sub)
    return today, currency, income, months, goals


@router.get("/goals")
async def goals(
    caller: Reader, ctx: Context, zone: HeaderZone, status: Status = None,
    category: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:  # fmt: skip
    """The caller's goals, newest first (optionally of one status and category)."""
    today = await today_of(ctx, caller, zone)
    async with ctx.pool.connection() as conn:
        rows = await list_goals(conn, ctx.schema, caller.sub, status, category or None)
    return ok([rules.goal_view(r, today) for r in rows])


@router.post("/goals", status_code=201)
async def create(body: GoalCreate, caller: Writer, ctx: Context, zone: HeaderZone) -> Response:
    """Create a goal from the app's form."""
    form = body.model_dump()
    return await decided(
        ctx, caller, zone, lambda: ctx.application.create_goal(user_id=caller.sub, **form), 201
    )


@router.get("/goals/statistics")
async def statistics(caller: Reader, ctx: Context, zone: HeaderZone) -> Response:
    """Counts, rates (0..100) and totals of the caller's goals."""
    today = await today_of(ctx, caller, zone)
    async with ctx.pool.connection() as conn:
        rows = await list_goals(conn, ctx.schema, caller.sub)
    return ok(rules.statistics(rows, today))


@router.get("/goals/smart_recommendations")
async def smart_recommendations(caller: Reader, ctx: Context, zone: HeaderZone) -> Response:
    """Goals to set, from the caller's income, spending and goals."""
    today, currency, income, months, goals = await numbers(ctx, caller, zone)
    return ok(ideas.recommendations(income, months, goals, today, currency))


@router.get("/goals/adjustments/suggestions")
async def adjustments(caller: Reader, ctx: Context, zone: HeaderZone) -> Response:
    """Contributions to change so active goals reach their dates."""
    today, currency, income, months, goals = await numbers(ctx, caller, zone)
    return ok({"adjustments": ideas.adjustments(goals, income, months, today, currency)})


@router.get("/goals/opportunities/detect")
async def opportunities(caller: Reader, ctx: Context, zone: HeaderZone) -> Response:
    """Discretionary spending that could become saving."""
    _, currency, _, months, _ = await numbers(ctx, caller, zone)
    return ok({"opportunities": ideas.opportunities(months, currency)})


@router.get("/goals/income_based_suggestions")
async def income_based(caller: Reader, ctx: Context, zone: HeaderZone) -> Response:
    """Goals sized to the caller's income (a list; empty without an income)."""
    today, currency, income, _, _ = await numbers(ctx, caller, zone)
    return ok(ideas.income_ideas(income, today, currency))


@router.get("/goals/analysis")
async def goal_analysis(caller: Reader, ctx: Context, zone: HeaderZone) -> Response:
    """The open goals against the caller's income and spending (``/api/ai/goal-analysis``)."""
    today, currency, income, months, goals = await numbers(ctx, caller, zone)
    return ok(ideas.analysis(goals, income, months, today, currency))


@router.get("/goals/{goal_id}")
async def one(goal_id: uuid.UUID, caller: Reader, ctx: Context, zone: HeaderZone) -> Response:
    """One of the caller's goals."""
    row = await mine(ctx, caller, goal_id)
    return ok(rules.goal_view(row, await today_of(ctx, caller, zone)))


@router.get("/goals/{goal_id}/health")
async def goal_health(
    goal_id: uuid.UUID, caller: Reader, ctx: Context, zone: HeaderZone
) -> Response:
    """Whether the goal is on track, what a month needs, when it is reached."""
    row = await mine(ctx, caller, goal_id)
    currency, _ = await ctx.defaults(caller)
    return ok(rules.health(row, await today_of(ctx, caller, zone), currency))


@router.patch("/goals/{goal_id}")
async def update(
    goal_id: uuid.UUID, body: GoalUpdate, caller: Writer, ctx: Context, zone: HeaderZone
) -> Response:
    """Change the form fields sent (explicit nulls clear the optional ones)."""
    changes = {k: getattr(body, k) for k in body.model_fields_set}
    return await decided(
        ctx, caller, zone,
        lambda: ctx.application.update_goal(goal_id, user_id=caller.sub, **changes),
    )  # fmt: skip


@router.delete("/goals/{goal_id}")
async def delete(goal_id: uuid.UUID, caller: Writer, ctx: Context, zone: HeaderZone) -> Response:
    """Delete one of the caller's goals."""
    return await decided(
        ctx, caller, zone, lambda: ctx.application.delete_goal(goal_id, user_id=caller.sub)
    )


@router.post("/goals/{goal_id}/add_savings")
async def add_savings(
    goal_id: uuid.UUID, body: SavingsIn, caller: Writer, ctx: Context, zone: HeaderZone
) -> Response:
    """Put money towards a goal (it completes when the target is reached)."""
    return await decided(
        ctx, caller, zone,
        lambda: ctx.application.add_goal_savings(goal_id, user_id=caller.sub, amount=body.amount),
    )  # fmt: skip


def status_route(action: str) -> None:
    """``POST /goals/{id}/<action>`` (no body; repeating it changes nothing)."""

    async def change(
        goal_id: uuid.UUID, caller: Writer, ctx: Context, zone: HeaderZone
    ) -> Response:
        return await decided(
            ctx, caller, zone,
            lambda: ctx.application.change_goal_status(goal_id, user_id=caller.sub, to=action),
        )  # fmt: skip

    change.__doc__ = f"{action.capitalize()} one of the caller's goals."
    router.add_api_route(f"/goals/{{goal_id}}/{action}", change, methods=["POST"],
                         name=f"goal_{action}")  # fmt: skip


for _action in ("complete", "pause", "resume", "cancel"):
    status_route(_action)
