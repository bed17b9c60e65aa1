"""Public behaviour analytics the app reads as a raw body (`/api/analytics/seasonal-patterns`,
`/api/analytics/behavioral-insights`), served by the insights service."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from contracts import insights as ins
from contracts.envelope import Envelope as E
from services.gateway.deps import InsightsReader, Services
from services.gateway.routes_insights import Month, Year, ZoneHeader, month_params
from services.gateway.routing import slash_tolerant

router = APIRouter(prefix="/api", redirect_slashes=False)
route = slash_tolerant(router)
TAGS = ["insights"]


@route("GET", "/analytics/seasonal-patterns", tags=TAGS, response_model=dict[str, Any])
async def seasonal_patterns(
    _: InsightsReader, request: Request, up: Services, x_user_timezone: ZoneHeader = None
) -> Response:
    """``monthly_patterns{"1".."12": factor}``, ``category_seasonality``, ``holiday_impact``
    and ``<category>{impact_score, recommendations}``, in ``data`` and at the top level."""
    return await up.forward("insights", request, "/analytics/seasonal-patterns", params={})


@route("GET", "/analytics/behavioral-insights", tags=TAGS, response_model=dict[str, Any])
async def behavioral_insights(
    _: InsightsReader, request: Request, up: Services, x_user_timezone: ZoneHeader = None
) -> Response:
    """``insights[{id, type, title, message, category, impact, confidence, actionable,
    recommendations, related_patterns, timeframe}]`` and ``recommendations``, in ``data`` and
    at the top level."""
    return await up.forward("insights", request, "/analytics/behavioral-insights", params={})


@route("GET", "/behavior/cluster", tags=TAGS, response_model=E[ins.BehaviorCluster])
async def behavior_cluster(_: InsightsReader, request: Request, up: Services) -> Response:
    """The caller's behavioural cluster (savers, balanced, spenders, struggling, high income)."""
    return await up.forward("insights", request, "/behavior/cluster", params={})


@route(
    "GET", "/cohort/income_classification", tags=TAGS, response_model=E[ins.IncomeClassification]
)
async def income_classification(_: InsightsReader, request: Request, up: Services) -> Response:
    """The caller's income tier."""
    return await up.forward("insights", request, "/cohort/income_classification", params={})


@route("GET", "/cohort/peer_comparison", tags=TAGS, response_model=E[ins.PeerComparison])
async def peer_comparison(
    _: InsightsReader,
    request: Request,
    up: Services,
    year: int | None = Year,
    month: int | None = Month,
    x_user_timezone: ZoneHeader = None,
) -> Response:
    """The caller's month against people of the same income tier (aggregates only)."""
    params = month_params(year, month)
    return await up.forward("insights", request, "/cohort/peer_comparison", params=params)


@route("GET", "/cohort/insights", tags=TAGS, response_model=E[ins.CohortInsights])
async def cohort_insights(
    _: InsightsReader, request: Request, up: Services, x_user_timezone: ZoneHeader = None
) -> Response:
    """The caller's rank in the income tier this month."""
    return await up.forward("insights", request, "/cohort/insights", params={})
