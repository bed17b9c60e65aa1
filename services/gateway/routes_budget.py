"""Public budget routes (`/api/onboarding`, `/api/calendar/*`, `/api/budget/*`), served by budget.

Every route answers the caller's own data only (the budget service keys everything by the
token's ``sub``); ``{year}/{month}/{day}`` name days, not objects.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import Response

from contracts import budget_answers as b
from contracts.budget import (
    AllocationRequest,
    AutomationRequest,
    IncomeRequest,
    ModeRequest,
    MonthlyRequest,
    OnboardingRequest,
    ShellRequest,
)
from contracts.envelope import Envelope as E
from services.gateway.deps import BudgetManager, BudgetReader, Services
from services.gateway.routing import body, slash_tolerant
from services.gateway.sync import caught_up_with
from shared.dates import DayOrInstant, as_text

router = APIRouter(prefix="/api", redirect_slashes=False)
route = slash_tolerant(router)
Year = Annotated[int, Query(ge=2000, le=2100)]
Month = Annotated[int, Query(ge=1, le=12)]
PathYear = Annotated[int, Path(ge=2000, le=2100)]
PathMonth = Annotated[int, Path(ge=1, le=12)]
PathDay = Annotated[int, Path(ge=1, le=31)]
TAGS = ["budget"]


def month_query(year: Year | None = None, month: Month | None = None) -> dict[str, int]:
    """``?year&month`` as given (the budget service defaults to the caller's current month)."""
    return {k: v for k, v in (("year", year), ("month", month)) if v is not None}


MonthParams = Annotated[dict[str, int], Depends(month_query)]


@route("POST", "/onboarding/submit", tags=["onboarding"], response_model=E[b.Onboarded])
async def submit(
    payload: OnboardingRequest, _: BudgetManager, request: Request, up: Services
) -> Response:
    """Store the onboarding answers; (re)plan this month from today on and the next month."""
    answer = await up.call(
        "budget", "POST", "/onboarding/submit", request=request, json=body(payload)
    )
    if answer.status_code == 200:  # /users/me answers has_onboarded: true right after this
        await caught_up_with(up, request, "auth", "/internal/sync", answer, service="budget")
    return up.relay("budget", answer)


@route(
    "GET", "/calendar/saved/{year}/{month}", tags=["calendar"], response_model=E[b.SavedCalendar]
)
async def saved(
    year: PathYear, month: PathMonth, _: BudgetReader, request: Request, up: Services
) -> Response:
    """The caller's month: one entry per day (empty before onboarding)."""
    return await up.forward("budget", request, f"/calendar/saved/{year}/{month}", params={})


@route(
    "GET", "/calendar/day/{year}/{month}/{day}", tags=["calendar"], response_model=E[b.DayDetail]
)
async def one_day(
    year: PathYear, month: PathMonth, day: PathDay, _: BudgetReader, request: Request, up: Services
) -> Response:
    """The caller's day: limit, spending per category, transactions."""
    path = f"/calendar/day/{year}/{month}/{day}"
    return await up.forward("budget", request, path, params={})


@route("POST", "/calendar/shell", tags=["calendar"], response_model=E[b.ShellCalendar])
async def shell(payload: ShellRequest, _: BudgetReader, request: Request, up: Services) -> Response:
    """Preview a month's calendar (nothing is stored)."""
    return await up.forward("budget", request, "/calendar/shell", json=body(payload), params={})


@route("GET", "/budget/live_status", tags=TAGS, response_model=E[b.LiveStatus])
async def live_status(_: BudgetReader, request: Request, up: Services) -> Response:
    """Today's budget and the month so far."""
    return await up.forward("budget", request, "/budget/live_status", params={})


@route("GET", "/budget/daily", tags=TAGS, response_model=E[list[b.DailyRow]])
async def daily(
    _: BudgetReader,
    request: Request,
    up: Services,
    start_date: Annotated[DayOrInstant | None, Query()] = None,
    end_date: Annotated[DayOrInstant | None, Query()] = None,
) -> Response:
    """One row per day (default: the current month)."""
    params = {k: as_text(v) for k, v in (("start_date", start_date), ("end_date", end_date)) if v}
    return await up.forward("budget", request, "/budget/daily", params=params)


@route("GET", "/budget/remaining", tags=TAGS, response_model=E[dict[str, Decimal]])
async def remaining(
    _: BudgetReader, request: Request, up: Services, params: MonthParams
) -> Response:
    """Remaining planned money per category for a month (default: the current one)."""
    return await up.forward("budget", request, "/budget/remaining", params=params)


@route("POST", "/budget/redistribute", tags=TAGS, response_model=E[b.Moves])
async def redistribute(_: BudgetManager, request: Request, up: Services) -> Response:
    """Month-level rebalance of the current month."""
    return await up.forward("budget", request, "/budget/redistribute", params={})


@route("POST", "/calendar/redistribute", tags=["calendar"], response_model=E[b.Moves])
async def redistribute_calendar(_: BudgetManager, request: Request, up: Services) -> Response:
    """The daily-budget screen's button: the same month-level rebalance.

    The app sends ``{calendar, strategy}`` (its own copy of the month); the server's read
    model is the truth, so the body is not read.
    """
    return await up.forward("budget", request, "/budget/redistribute", params={})


@route("GET", "/budget/redistribution_history", tags=TAGS, response_model=E[list[b.HistoryRow]])
async def history(_: BudgetReader, request: Request, up: Services) -> Response:
    """Every move of planned money, newest first."""
    return await up.forward("budget", request, "/budget/redistribution_history", params={})


@route("GET", "/budget/forecast", tags=TAGS, response_model=E[b.Forecast])
async def forecast(_: BudgetReader, request: Request, up: Services) -> Response:
    """Where the month is heading at the current pace."""
    return await up.forward("budget", request, "/budget/forecast", params={})


@route("GET", "/budget/mode", tags=TAGS, response_model=E[b.ModeAnswer])
async def get_mode(_: BudgetReader, request: Request, up: Services) -> Response:
    """The caller's budget mode (default, flexible, strict, behavioral, goal)."""
    return await up.forward("budget", request, "/budget/mode", params={})


@route("PATCH", "/budget/mode", tags=TAGS, response_model=E[b.ModeAnswer])
async def set_mode(
    payload: ModeRequest, _: BudgetManager, request: Request, up: Services
) -> Response:
    """Choose a budget mode; this month is re-laid out from today on."""
    return await up.forward("budget", request, "/budget/mode", json=body(payload), params={})


@route("GET", "/budget/automation_settings", tags=TAGS, response_model=E[b.Automation])
async def get_automation(_: BudgetReader, request: Request, up: Services) -> Response:
    """The automation switches of the budget settings screen."""
    return await up.forward("budget", request, "/budget/automation_settings", params={})


@route("PATCH", "/budget/automation_settings", tags=TAGS, response_model=E[b.Automation])
async def set_automation(
    payload: AutomationRequest, _: BudgetManager, request: Request, up: Services
) -> Response:
    """Change any of the automation switches."""
    path = "/budget/automation_settings"
    return await up.forward("budget", request, path, json=body(payload), params={})


@route("GET", "/budget/adaptations", tags=TAGS, response_model=E[b.Adaptations])
async def adaptations(
    _: BudgetReader, request: Request, up: Services, params: MonthParams
) -> Response:
    """The month plan's recorded changes, in order."""
    return await up.forward("budget", request, "/budget/adaptations", params=params)


@route("POST", "/budget/auto_adapt", tags=TAGS, response_model=E[b.Adapted])
async def auto_adapt(_: BudgetManager, request: Request, up: Services) -> Response:
    """Re-weight the rest of this month by the pace of spending."""
    return await up.forward("budget", request, "/budget/auto_adapt", params={})


@route("GET", "/budget/suggestions", tags=TAGS, response_model=E[b.Suggestions])
async def suggestions(
    _: BudgetReader, request: Request, up: Services, params: MonthParams
) -> Response:
    """Suggestions for a month from its plan and spending."""
    return await up.forward("budget", request, "/budget/suggestions", params=params)


@route("POST", "/budget/behavioral_allocation", tags=TAGS, response_model=E[b.Allocation])
async def behavioral_allocation(
    payload: AllocationRequest, _: BudgetReader, request: Request, up: Services
) -> Response:
    """Split an amount by the plan blended with the caller's recent spending."""
    path = "/budget/behavioral_allocation"
    return await up.forward("budget", request, path, json=body(payload), params={})


@route(
    "POST",
    "/budget/income_based_recommendations",
    tags=TAGS,
    response_model=E[b.IncomeRecommendation],
)
async def income_based_recommendations(
    payload: IncomeRequest, _: BudgetReader, request: Request, up: Services
) -> Response:
    """The plan a monthly income would get."""
    path = "/budget/income_based_recommendations"
    return await up.forward("budget", request, path, json=body(payload), params={})


@route("GET", "/budget/spent", tags=TAGS, response_model=E[b.Spent])
async def spent(_: BudgetReader, request: Request, up: Services, params: MonthParams) -> Response:
    """What was spent in a month: in all, per category and per day."""
    return await up.forward("budget", request, "/budget/spent", params=params)


@route("POST", "/budget/monthly", tags=TAGS, response_model=E[b.Monthly])
async def monthly(
    payload: MonthlyRequest, _: BudgetReader, request: Request, up: Services
) -> Response:
    """A month's plan (or a preview from ``user_answers``)."""
    return await up.forward("budget", request, "/budget/monthly", json=body(payload), params={})
