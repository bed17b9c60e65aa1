"""Public insights routes (`/api/analytics/*`, `/api/insights/*`, `/api/ai/category-suggestions`,
`/api/mood`), served by the insights service."""

from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Header, Path, Query, Request
from starlette.responses import Response

from contracts import insights as ins
from contracts.envelope import Envelope as E
from contracts.ledger import Timezone
from services.gateway.deps import Admin, InsightsReader, ProfileWriter, Services
from services.gateway.routing import body, slash_tolerant

router = APIRouter(prefix="/api", redirect_slashes=False)
route = slash_tolerant(router)
TAGS = ["insights"]
ZoneHeader = Annotated[
    Timezone,
    Header(max_length=64, description="IANA zone for user-local days (default: profile, UTC)"),
]
Year = Query(default=None, ge=2000, le=2200, description="Default: this local month's year")
Month = Query(default=None, ge=1, le=12, description="Default: this local month")


def month_params(year: int | None, month: int | None) -> dict[str, int]:
    """The month query, only what was given."""
    return {k: v for k, v in (("year", year), ("month", month)) if v is not None}


@route("GET", "/analytics/monthly", tags=TAGS, response_model=E[ins.MonthlyAnalytics])
async def monthly(
    _: InsightsReader,
    request: Request,
    up: Services,
    year: int | None = Year,
    month: int | None = Month,
    x_user_timezone: ZoneHeader = None,
) -> Response:
    """One local month: totals by category, day and merchant, weekday against weekend."""
    params = month_params(year, month)
    return await up.forward("insights", request, "/analytics/monthly", params=params)


@route("GET", "/analytics/category-breakdown", tags=TAGS, response_model=E[ins.CategoryBreakdown])
async def category_breakdown(
    _: InsightsReader,
    request: Request,
    up: Services,
    year: int | None = Year,
    month: int | None = Month,
    x_user_timezone: ZoneHeader = None,
) -> Response:
    """One local month's spending per category (amount, count, percentage)."""
    params = month_params(year, month)
    return await up.forward("insights", request, "/analytics/category-breakdown", params=params)


@route("GET", "/analytics/trends", tags=TAGS, response_model=E[ins.Trends])
async def trends(
    _: InsightsReader,
    request: Request,
    up: Services,
    months: int = Query(default=6, ge=2, le=24),
    x_user_timezone: ZoneHeader = None,
) -> Response:
    """Totals of the last ``months`` local months (oldest first) and their direction."""
    return await up.forward("insights", request, "/analytics/trends", params={"months": months})


@route("GET", "/analytics/dashboard", tags=TAGS, response_model=E[ins.AnalyticsDashboard])
async def dashboard(
    _: InsightsReader, request: Request, up: Services, x_user_timezone: ZoneHeader = None
) -> Response:
    """This month against the last, and the six-month trend."""
    return await up.forward("insights", request, "/analytics/dashboard", params={})


@route("POST", "/analytics/feature-usage", tags=TAGS, response_model=E[ins.UsageRecordedOut])
async def feature_usage(
    payload: ins.FeatureUsageIn, _: ProfileWriter, request: Request, up: Services
) -> Response:
    """An app feature was used (200)."""
    path = "/analytics/feature-usage"
    return await up.forward("insights", request, path, json=body(payload), params={})


@route(
    "POST", "/analytics/feature-access-attempt", tags=TAGS, response_model=E[ins.UsageRecordedOut]
)
async def feature_access_attempt(
    payload: ins.FeatureAccessIn, _: ProfileWriter, request: Request, up: Services
) -> Response:
    """A (premium) feature was tried (200)."""
    path = "/analytics/feature-access-attempt"
    return await up.forward("insights", request, path, json=body(payload), params={})


@route("POST", "/analytics/paywall-impression", tags=TAGS, response_model=E[ins.UsageRecordedOut])
async def paywall_impression(
    payload: ins.PaywallImpressionIn, _: ProfileWriter, request: Request, up: Services
) -> Response:
    """A paywall was shown (200)."""
    path = "/analytics/paywall-impression"
    return await up.forward("insights", request, path, json=body(payload), params={})


@route("GET", "/insights", tags=TAGS, response_model=E[ins.Advice | None])
async def latest_advice(
    _: InsightsReader, request: Request, up: Services, x_user_timezone: ZoneHeader = None
) -> Response:
    """The latest advice from the caller's own figures (null before any spending)."""
    return await up.forward("insights", request, "/insights", params={})


@route("GET", "/insights/history", tags=TAGS, response_model=E[list[ins.AdviceEntry]])
async def advice_history(
    _: InsightsReader, request: Request, up: Services, x_user_timezone: ZoneHeader = None
) -> Response:
    """Advice of the recent months, newest first."""
    return await up.forward("insights", request, "/insights/history", params={})


@route("GET", "/insights/income_based_tips", tags=TAGS, response_model=E[list[str]])
async def income_based_tips(
    _: InsightsReader, request: Request, up: Services, x_user_timezone: ZoneHeader = None
) -> Response:
    """Tips comparing this month's spending with the caller's income."""
    return await up.forward("insights", request, "/insights/income_based_tips", params={})


@route(
    "POST", "/ai/category-suggestions", tags=TAGS, response_model=E[list[ins.AiCategorySuggestion]]
)
async def category_suggestions(
    payload: ins.CategorySuggestionIn, _: InsightsReader, request: Request, up: Services
) -> Response:
    """Categories for a description, as the add-expense picker's display names."""
    path = "/ai/category-suggestions"
    return await up.forward("insights", request, path, json=body(payload), params={})


@route("POST", "/mood", status_code=201, tags=TAGS, response_model=E[ins.MoodOut])
async def record_mood(
    payload: ins.MoodIn,
    _: ProfileWriter,
    request: Request,
    up: Services,
    x_user_timezone: ZoneHeader = None,
) -> Response:
    """Record the caller's mood (1..5) for a local day."""
    return await up.forward("insights", request, "/mood", json=body(payload), params={})


@route(
    "GET",
    "/analytics/feature-usage/{user_id}/{feature}",
    tags=TAGS,
    response_model=E[ins.FeatureUsageStats],
)
async def feature_usage_stats(
    user_id: uuid.UUID,
    feature: Annotated[str, Path(max_length=100)],
    _: InsightsReader,
    request: Request,
    up: Services,
) -> Response:
    """The caller's own use of one feature (another user's id: 404)."""
    path = f"/analytics/feature-usage/{user_id}/{quote(feature, safe='')}"
    return await up.forward("insights", request, path, params={})


@route("GET", "/admin/insights", tags=["admin"], response_model=E[ins.AdminInsights])
async def admin_insights(
    _: Admin, request: Request, up: Services, days: int = Query(default=30, ge=1, le=365)
) -> Response:
    """Users, active users, usage events per day and cluster sizes (no personal data)."""
    return await up.forward("insights", request, "/admin/insights", params={"days": days})
