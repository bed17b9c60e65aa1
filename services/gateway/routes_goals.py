"""Public Goals tab routes (`/api/goals/*`), served by the ledger context (all in ``data``;
another user's goal is a 404)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from contracts import goals as gl
from contracts.envelope import Envelope as E
from services.gateway.deps import GoalsReader, GoalsWriter, Services
from services.gateway.routes_insights import ZoneHeader
from services.gateway.routing import body, slash_tolerant

router = APIRouter(prefix="/api", redirect_slashes=False)
route = slash_tolerant(router)
TAGS = ["goals"]
GoalId = uuid.UUID
Status = Annotated[str | None, Query(pattern=f"^({'|'.join(gl.GOAL_STATUSES)})$")]


@route("GET", "/goals", tags=TAGS, response_model=E[list[gl.GoalOut]])
async def goals(
    _: GoalsReader, request: Request, up: Services, status: Status = None,
    category: Annotated[str | None, Query(max_length=40)] = None,
    x_user_timezone: ZoneHeader = None,
) -> Response:  # fmt: skip
    """The caller's goals, newest first (``?status=active|completed|paused|cancelled``,
    ``?category=``)."""
    params = {k: v for k, v in {"status": status, "category": category}.items() if v}
    return await up.forward("ledger", request, "/goals", params=params)


@route("POST", "/goals", status_code=201, tags=TAGS, response_model=E[gl.GoalOut])
async def create(
    payload: gl.GoalCreate, _: GoalsWriter, request: Request, up: Services,
    x_user_timezone: ZoneHeader = None,
) -> Response:  # fmt: skip
    """Create a goal from the app's form (nulls and "" are "not set")."""
    return await up.forward("ledger", request, "/goals", json=body(payload), params={})


@route("GET", "/goals/statistics", tags=TAGS, response_model=E[gl.GoalStatistics])
async def statistics(
    _: GoalsReader, request: Request, up: Services, x_user_timezone: ZoneHeader = None
) -> Response:
    """Counts, completion rate and average progress (0..100), totals, overdue and due soon."""
    return await up.forward("ledger", request, "/goals/statistics", params={})


@route("GET", "/goals/smart_recommendations", tags=TAGS,
       response_model=E[gl.SmartRecommendations])  # fmt: skip
async def smart_recommendations(
    _: GoalsReader, request: Request, up: Services, x_user_timezone: ZoneHeader = None
) -> Response:
    """Goals to set, from the caller's income, last months' spending and goals."""
    return await up.forward("ledger", request, "/goals/smart_recommendations", params={})


@route("GET", "/goals/adjustments/suggestions", tags=TAGS, response_model=E[gl.GoalAdjustments])
async def adjustments(
    _: GoalsReader, request: Request, up: Services, x_user_timezone: ZoneHeader = None
) -> Response:
    """Monthly contributions to raise so active goals reach their dates."""
    return await up.forward("ledger", request, "/goals/adjustments/suggestions", params={})


@route("GET", "/goals/opportunities/detect", tags=TAGS, response_model=E[gl.GoalOpportunities])
async def opportunities(
    _: GoalsReader, request: Request, up: Services, x_user_timezone: ZoneHeader = None
) -> Response:
    """Discretionary spending that could become saving."""
    return await up.forward("ledger", request, "/goals/opportunities/detect", params={})


@route("GET", "/goals/income_based_suggestions", tags=TAGS, response_model=E[list[gl.GoalIdea]])
async def income_based(
    _: GoalsReader, request: Request, up: Services, x_user_timezone: ZoneHeader = None
) -> Response:
    """Goals sized to the caller's income (empty without one)."""
    return await up.forward("ledger", request, "/goals/income_based_suggestions", params={})


@route("GET", "/ai/goal-analysis", tags=["ai"], response_model=E[gl.GoalAnalysis])
async def goal_analysis(
    _: GoalsReader, request: Request, up: Services, x_user_timezone: ZoneHeader = None
) -> Response:
    """The open goals against the caller's income and spending: what they need a month, what
    is planned, which to fund first (served with the goals, by the ledger context)."""
    return await up.forward("ledger", request, "/goals/analysis", params={})


@route("GET", "/goals/{goal_id:uuid}", tags=TAGS, response_model=E[gl.GoalOut])
async def one(
    goal_id: GoalId, _: GoalsReader, request: Request, up: Services,
    x_user_timezone: ZoneHeader = None,
) -> Response:  # fmt: skip
    """One of the caller's goals."""
    return await up.forward("ledger", request, f"/goals/{goal_id}", params={})


@route("GET", "/goals/{goal_id:uuid}/health", tags=TAGS, response_model=E[gl.GoalHealth])
async def health(
    goal_id: GoalId, _: GoalsReader, request: Request, up: Services,
    x_user_timezone: ZoneHeader = None,
) -> Response:  # fmt: skip
    """On track or not, the monthly need, the predicted completion, insights and advice."""
    return await up.forward("ledger", request, f"/goals/{goal_id}/health", params={})


@route("PATCH", "/goals/{goal_id:uuid}", tags=TAGS, response_model=E[gl.GoalOut])
async def update(
    goal_id: GoalId, payload: gl.GoalUpdate, _: GoalsWriter, request: Request, up: Services,
    x_user_timezone: ZoneHeader = None,
) -> Response:  # fmt: skip
    """Change the form fields sent (explicit nulls clear the optional ones)."""
    return await up.forward("ledger", request, f"/goals/{goal_id}", json=body(payload), params={})


@route("DELETE", "/goals/{goal_id:uuid}", tags=TAGS, response_model=E[gl.GoalOut])
async def delete(
    goal_id: GoalId, _: GoalsWriter, request: Request, up: Services,
    x_user_timezone: ZoneHeader = None,
) -> Response:  # fmt: skip
    """Delete one of the caller's goals (the answer is the goal as it was)."""
    return await up.forward("ledger", request, f"/goals/{goal_id}", params={})


@route("POST", "/goals/{goal_id:uuid}/add_savings", tags=TAGS, response_model=E[gl.GoalOut])
async def add_savings(
    goal_id: GoalId, payload: gl.SavingsIn, _: GoalsWriter, request: Request, up: Services,
    x_user_timezone: ZoneHeader = None,
) -> Response:  # fmt: skip
    """Put money towards a goal; it completes when the target is reached."""
    path = f"/goals/{goal_id}/add_savings"
    return await up.forward("ledger", request, path, json=body(payload), params={})


def status_route(action: str, summary: str) -> None:
    """``POST /api/goals/{id}/<action>`` (no body; 409 when the status forbids it)."""

    async def change(
        goal_id: GoalId, _: GoalsWriter, request: Request, up: Services,
        x_user_timezone: ZoneHeader = None,
    ) -> Response:  # fmt: skip
        return await up.forward("ledger", request, f"/goals/{goal_id}/{action}", params={})

    change.__doc__ = summary
    route("POST", f"/goals/{{goal_id:uuid}}/{action}", tags=TAGS, response_model=E[gl.GoalOut],
          name=f"goal_{action}")(change)  # fmt: skip


for _action, _summary in (
    ("complete", "Mark a goal reached."),
    ("pause", "Pause saving towards an active goal."),
    ("resume", "Resume a paused goal."),
    ("cancel", "Give a goal up (kept in the history)."),
):
    status_route(_action, _summary)
