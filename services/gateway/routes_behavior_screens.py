"""Public behaviour screens' routes (`/api/behavior/*` but the cluster), served by the
insights service from the caller's own transactions and behaviour settings."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from contracts import behavior as bh
from contracts import insights as ins
from contracts.envelope import Envelope as E
from services.gateway.deps import InsightsReader, ProfileWriter, Services
from services.gateway.routes_insights import Month, Year, ZoneHeader, month_params
from services.gateway.routing import body, slash_tolerant

router = APIRouter(prefix="/api", redirect_slashes=False)
route = slash_tolerant(router)
TAGS = ["behavior"]


async def monthly(
    up: Services, request: Request, path: str, year: int | None, month: int | None
) -> Response:
    """Forward a month-scoped behaviour read."""
    return await up.forward("insights", request, path, params=month_params(year, month))


@route("GET", "/behavior/analysis", tags=TAGS, response_model=E[bh.BehaviorAnalysis])
async def analysis(
    _: InsightsReader, request: Request, up: Services, year: int | None = Year,
    month: int | None = Month, x_user_timezone: ZoneHeader = None,
) -> Response:  # fmt: skip
    """The month's habits, each measured, and a score from 0 to 1."""
    return await monthly(up, request, "/behavior/analysis", year, month)


@route("GET", "/behavior/patterns", tags=TAGS, response_model=E[bh.BehaviorPatterns])
async def patterns(
    _: InsightsReader, request: Request, up: Services, year: int | None = Year,
    month: int | None = Month, x_user_timezone: ZoneHeader = None,
) -> Response:  # fmt: skip
    """Each category of the month against its last 12 months."""
    return await monthly(up, request, "/behavior/patterns", year, month)


@route("GET", "/behavior/predictions", tags=TAGS, response_model=E[bh.BehaviorPredictions])
async def predictions(
    _: InsightsReader, request: Request, up: Services, x_user_timezone: ZoneHeader = None
) -> Response:
    """The next 7 and 30 days at the last 90 days' pace, with the risks."""
    return await up.forward("insights", request, "/behavior/predictions", params={})


@route(
    "GET",
    "/behavior/anomalies",
    tags=TAGS,
    response_model=E[bh.MonthAnomalies] | E[list[ins.Anomaly]],
)
async def anomalies(
    _: InsightsReader, request: Request, up: Services, year: int | None = Year,
    month: int | None = Month, days: int | None = Query(default=None, ge=1, le=366),
    x_user_timezone: ZoneHeader = None,
) -> Response:  # fmt: skip
    """Unusual purchases: with ``days`` a list of the last days' (getBehaviorAnomalies),
    else the month's with a summary (getBehavioralAnomalies)."""
    params: dict[str, int] = month_params(year, month)
    if days is not None:
        params = {"days": days}
    return await up.forward("insights", request, "/behavior/anomalies", params=params)


@route("GET", "/behavior/recommendations", tags=TAGS, response_model=E[bh.Recommendations])
async def recommendations(
    _: InsightsReader, request: Request, up: Services, x_user_timezone: ZoneHeader = None
) -> Response:
    """What to do next, from this month's habits and the caller's cluster."""
    return await up.forward("insights", request, "/behavior/recommendations", params={})


@route("GET", "/behavior/triggers", tags=TAGS, response_model=E[bh.Triggers])
async def triggers(
    _: InsightsReader, request: Request, up: Services, year: int | None = Year,
    month: int | None = Month, x_user_timezone: ZoneHeader = None,
) -> Response:  # fmt: skip
    """Weekdays, times, merchants and small buys that come with the month's spending."""
    return await monthly(up, request, "/behavior/triggers", year, month)


@route("GET", "/behavior/warnings", tags=TAGS, response_model=E[bh.Warnings])
async def warnings(
    _: InsightsReader, request: Request, up: Services, year: int | None = Year,
    month: int | None = Month, x_user_timezone: ZoneHeader = None,
) -> Response:  # fmt: skip
    """Days of the month far over the usual day, and coming days that tend to be."""
    return await monthly(up, request, "/behavior/warnings", year, month)


@route("GET", "/behavior/progress", tags=TAGS, response_model=E[bh.Progress])
async def progress(
    _: InsightsReader, request: Request, up: Services,
    months: int = Query(default=6, ge=1, le=24), x_user_timezone: ZoneHeader = None,
) -> Response:  # fmt: skip
    """The last ``months`` months, scored, each figure with its direction."""
    params = {"months": months}
    return await up.forward("insights", request, "/behavior/progress", params=params)


@route("GET", "/behavior/category/{category}", tags=TAGS, response_model=E[bh.CategoryInsights])
async def category(
    category: Annotated[str, Path(min_length=1, max_length=64)], _: InsightsReader,
    request: Request, up: Services, year: int | None = Year, month: int | None = Month,
    x_user_timezone: ZoneHeader = None,
) -> Response:  # fmt: skip
    """One category's month against the caller's usual month of it."""
    path = f"/behavior/category/{quote(category, safe='')}"
    return await monthly(up, request, path, year, month)


@route("POST", "/behavior/calendar", tags=TAGS, response_model=bh.BehaviorCalendar)
async def calendar(
    payload: bh.CalendarIn, _: InsightsReader, request: Request, up: Services,
    x_user_timezone: ZoneHeader = None,
) -> Response:  # fmt: skip
    """Each day of the month with its expected spending and what was spent (in ``data``
    and at the top level: the app reads both)."""
    return await up.forward(
        "insights", request, "/behavior/calendar", json=body(payload), params={}
    )


@route("POST", "/behavior/expense_suggestions", tags=TAGS, response_model=E[bh.ExpenseSuggestions])
async def expense_suggestions(
    payload: bh.ExpenseSuggestionIn, _: InsightsReader, request: Request, up: Services,
    x_user_timezone: ZoneHeader = None,
) -> Response:  # fmt: skip
    """How an expense being entered compares with the caller's own purchases."""
    path = "/behavior/expense_suggestions"
    return await up.forward("insights", request, path, json=body(payload), params={})


@route("GET", "/behavior/preferences", tags=TAGS, response_model=E[bh.Preferences])
async def preferences(_: InsightsReader, request: Request, up: Services) -> Response:
    """The behaviour analysis switches."""
    return await up.forward("insights", request, "/behavior/preferences", params={})


@route("PATCH", "/behavior/preferences", tags=TAGS, response_model=E[bh.Preferences])
async def change_preferences(
    payload: bh.PreferencesIn, _: ProfileWriter, request: Request, up: Services
) -> Response:
    """Change some analysis switches (null or absent: unchanged)."""
    path = "/behavior/preferences"
    return await up.forward("insights", request, path, json=body(payload), params={})


@route(
    "GET", "/behavior/notification_settings", tags=TAGS, response_model=E[bh.NotificationSettings]
)
async def notification_settings(_: InsightsReader, request: Request, up: Services) -> Response:
    """Which behaviour notifications the caller wants."""
    return await up.forward("insights", request, "/behavior/notification_settings", params={})


@route(
    "PATCH",
    "/behavior/notification_settings",
    tags=TAGS,
    response_model=E[bh.NotificationSettings],
)
async def change_notification_settings(
    payload: bh.NotificationSettingsIn, _: ProfileWriter, request: Request, up: Services
) -> Response:
    """Change some behaviour notification settings (null or absent: unchanged)."""
    path = "/behavior/notification_settings"
    return await up.forward("insights", request, path, json=body(payload), params={})
