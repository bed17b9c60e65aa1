"""Challenges HTTP API (internal; the gateway publishes it under /api): the catalogue with the
caller's standing, join and leave (commands), and progress, stats and the leaderboard, all
measured from the read models at the caller's local today. A client never sets progress."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import Response

from contracts.challenges import ProgressReport
from services.budget.challenges import queries, views
from services.budget.challenges.catalogue import Challenge, catalogue
from services.budget.challenges.domain import NotJoined
from services.budget.challenges.rules import cap_of, window
from services.budget.deps import BudgetContext, Context, Manager, Reader
from shared import tokens
from shared.api import ApiError, ok, positioned

router = APIRouter()
PROJECTION = "budget_challenges"
Period = Literal["weekly", "monthly", "all_time"]


def known(challenge_id: str) -> Challenge:
    """The catalogue entry (404 for an id it does not hold)."""
    found = catalogue().get(challenge_id)
    if found is None:
        raise ApiError(404, "Challenge not found")
    return found


async def measured(ctx: BudgetContext, caller: tokens.Claims | None) -> list[views.Measured]:
    """The caller's attempts (None: everyone's), measured now."""
    user = caller.sub if caller is not None else None
    async with ctx.pool.connection() as conn:
        rows = await queries.attempts(conn, ctx.schema, user)
        facts = await queries.facts(conn, ctx.schema, user)
    return views.measure(rows, facts, ctx.now())


async def cards(ctx: BudgetContext, caller: tokens.Claims, active: bool) -> Response:
    """The catalogue's cards: the ones the caller runs now, or the ones open to join."""
    everyone = await measured(ctx, None)
    mine = views.latest([m for m in everyone if m.user_id == caller.sub])
    shown = [
        views.card(c, mine.get(c.id), everyone)
        for c in catalogue().values()
        if (mine.get(c.id) is not None and mine[c.id].outcome.status == "active") == active
    ]
    return ok(shown)


@router.get("/challenge/available")
async def available(caller: Reader, ctx: Context) -> Response:
    """Challenges the caller can join (not running one of them now)."""
    return await cards(ctx, caller, active=False)


@router.get("/challenge/active")
async def active(caller: Reader, ctx: Context) -> Response:
    """The challenges the caller runs now, with their progress."""
    return await cards(ctx, caller, active=True)


async def answer(ctx: BudgetContext, caller: tokens.Claims, challenge: Challenge,
                 position: int = 0) -> Response:  # fmt: skip
    """The caller's progress at ``challenge`` (after the write at ``position``)."""
    if position:
        await ctx.caught_up(position, projection=PROJECTION)
    found = views.latest(await measured(ctx, caller)).get(challenge.id)
    return ok(views.progress(challenge, found), headers=positioned(position))


@router.get("/challenge/{challenge_id}/progress")
async def progress(challenge_id: str, caller: Reader, ctx: Context) -> Response:
    """The caller's latest attempt: status, days, streaks, measured from their spending."""
    return await answer(ctx, caller, known(challenge_id))


@router.patch("/challenge/{challenge_id}/progress")
async def reported(
    challenge_id: str, body: ProgressReport, caller: Manager, ctx: Context
) -> Response:
    """The app may report progress; nothing it sends is applied: the measured progress."""
    del body
    return await answer(ctx, caller, known(challenge_id))


@router.post("/challenge/{challenge_id}/join")
async def join(challenge_id: str, caller: Manager, ctx: Context) -> Response:
    """Start an attempt today (local); joining a running one again changes nothing."""
    challenge = known(challenge_id)
    now = ctx.now()
    today = now.astimezone(await ctx.zone_of(caller.sub)).date()
    current = views.latest(await measured(ctx, caller)).get(challenge.id)
    settled = current is not None and current.outcome.status in ("completed", "failed")
    cap = None
    if challenge.rule.kind == "cap":
        first = today - dt.timedelta(days=challenge.duration_days)
        async with ctx.pool.connection() as conn:
            cap = cap_of(challenge, await queries.spent_before(conn, ctx.schema, caller.sub,
                                                               first, now))  # fmt: skip
    position = await ctx.run(
        lambda: ctx.application.join_challenge(
            caller.sub, challenge.id, today=today, now=now, window=window(challenge, today),
            cap=cap, settled=settled,
        )
    )  # fmt: skip
    return await answer(ctx, caller, challenge, position)


@router.post("/challenge/{challenge_id}/leave")
async def leave(challenge_id: str, caller: Manager, ctx: Context) -> Response:
    """Give up the running attempt."""
    challenge = known(challenge_id)
    now = ctx.now()
    today = now.astimezone(await ctx.zone_of(caller.sub)).date()
    try:
        position = await ctx.run(
            lambda: ctx.application.leave_challenge(caller.sub, challenge.id, today=today, now=now)
        )
    except NotJoined:
        raise ApiError(404, "You are not taking part in this challenge") from None
    return await answer(ctx, caller, challenge, position)


@router.get("/challenge/stats")
async def stats(caller: Reader, ctx: Context) -> Response:
    """Level, points, streaks and badges from the caller's attempts."""
    return ok(views.stats(await measured(ctx, caller)))


@router.get("/challenge/leaderboard")
async def leaderboard(caller: Reader, ctx: Context, period: Period = "weekly") -> Response:
    """Participants ranked by points won in the period (display names only)."""
    everyone = await measured(ctx, None)
    today = await ctx.today(caller.sub)
    return ok(views.leaderboard(everyone, caller.sub, period, today))
