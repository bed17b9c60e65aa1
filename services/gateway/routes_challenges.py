"""Public challenge routes (`/api/challenge*`), served by the budget context (in ``data``).
Ids are the catalogue's (strings); progress is measured by the server, so the app's
``PATCH …/progress`` body is taken and ignored (api_service.dart:3356-3530)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from contracts import challenges as ch
from contracts.envelope import Envelope as E
from services.gateway.deps import BudgetManager, BudgetReader, Services
from services.gateway.routing import slash_tolerant

router = APIRouter(prefix="/api", redirect_slashes=False)
route = slash_tolerant(router)
TAGS = ["challenges"]
ChallengeId = Annotated[str, Path(pattern=r"^[a-z0-9_]{1,64}$", description="catalogue id")]
ONE = "/challenge/{challenge_id}"


@route("GET", "/challenge/available", tags=TAGS, response_model=E[list[ch.ChallengeOut]])
async def available(_: BudgetReader, request: Request, up: Services) -> Response:
    """Challenges the caller can join, with how everyone fared at them."""
    return await up.forward("budget", request, "/challenge/available", params={})


@route("GET", "/challenge/active", tags=TAGS, response_model=E[list[ch.ChallengeOut]])
async def active(_: BudgetReader, request: Request, up: Services) -> Response:
    """The challenges the caller runs now, with their measured progress."""
    return await up.forward("budget", request, "/challenge/active", params={})


@route("GET", "/challenge/stats", tags=TAGS, response_model=E[ch.ChallengeStats])
async def stats(_: BudgetReader, request: Request, up: Services) -> Response:
    """Level, points, streaks and badges."""
    return await up.forward("budget", request, "/challenge/stats", params={})


@route("GET", "/challenge/leaderboard", tags=TAGS, response_model=E[ch.Leaderboard])
async def leaderboard(
    _: BudgetReader,
    request: Request,
    up: Services,
    period: Literal["weekly", "monthly", "all_time"] = "weekly",
) -> Response:
    """Participants ranked by points won in the period (display names only)."""
    return await up.forward("budget", request, "/challenge/leaderboard", params={"period": period})


@route("GET", ONE + "/progress", tags=TAGS, response_model=E[ch.ChallengeProgress])
async def progress(
    challenge_id: ChallengeId, _: BudgetReader, request: Request, up: Services
) -> Response:
    """The caller's latest attempt, measured from their spending."""
    return await up.forward("budget", request, f"/challenge/{challenge_id}/progress", params={})


@route("PATCH", ONE + "/progress", tags=TAGS, response_model=E[ch.ChallengeProgress])
async def reported(
    challenge_id: ChallengeId,
    payload: ch.ProgressReport,
    _: BudgetManager,
    request: Request,
    up: Services,
) -> Response:
    """Accepted and ignored: the answer is the measured progress."""
    del payload
    path = f"/challenge/{challenge_id}/progress"
    return await up.forward("budget", request, path, json={}, params={})


@route("POST", ONE + "/join", tags=TAGS, response_model=E[ch.ChallengeProgress])
async def join(
    challenge_id: ChallengeId, _: BudgetManager, request: Request, up: Services
) -> Response:
    """Start an attempt today (joining a running one again changes nothing)."""
    return await up.forward("budget", request, f"/challenge/{challenge_id}/join", params={})


@route("POST", ONE + "/leave", tags=TAGS, response_model=E[ch.ChallengeProgress])
async def leave(
    challenge_id: ChallengeId, _: BudgetManager, request: Request, up: Services
) -> Response:
    """Give up the running attempt (404 when none runs)."""
    return await up.forward("budget", request, f"/challenge/{challenge_id}/leave", params={})
