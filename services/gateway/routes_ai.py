"""Public AI routes (`/api/ai/*`), served by the insights service's offline advice engine."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from contracts import behavior as bh
from contracts import insights as ins
from contracts.budget import DayStatusQuestion
from contracts.budget_answers import BudgetOptimization, DayStatusExplanation, HealthScore
from contracts.envelope import Envelope as E
from services.gateway.deps import InsightsReader, ProfileWriter, Services
from services.gateway.routes_insights import Month, Year, ZoneHeader, month_params
from services.gateway.routing import body, slash_tolerant

router = APIRouter(prefix="/api", redirect_slashes=False)
route = slash_tolerant(router)
TAGS = ["ai"]


async def monthly(
    up: Services, request: Request, path: str, year: int | None, month: int | None
) -> Response:
    """Forward a month-scoped AI call."""
    return await up.forward("insights", request, path, params=month_params(year, month))


@route("GET", "/ai/spending-anomalies", tags=TAGS, response_model=E[list[ins.Anomaly]])
async def spending_anomalies(
    _: InsightsReader, request: Request, up: Services, year: int | None = Year,
    month: int | None = Month, x_user_timezone: ZoneHeader = None,
) -> Response:  # fmt: skip
    """Unusually large transactions of the month, against the caller's own history."""
    return await monthly(up, request, "/ai/spending-anomalies", year, month)


@route("GET", "/ai/spending-prediction", tags=TAGS, response_model=E[ins.SpendingPrediction])
async def spending_prediction(
    _: InsightsReader, request: Request, up: Services,
    days_ahead: int = Query(default=30, ge=1, le=365), x_user_timezone: ZoneHeader = None,
) -> Response:  # fmt: skip
    """Spending over the next ``days_ahead`` days per category, with an interval."""
    params = {"days_ahead": days_ahead}
    return await up.forward("insights", request, "/ai/spending-prediction", params=params)


@route("GET", "/ai/weekly-insights", tags=TAGS, response_model=E[ins.WeeklyInsights])
async def weekly_insights(
    _: InsightsReader, request: Request, up: Services, x_user_timezone: ZoneHeader = None
) -> Response:
    """This local week against the last."""
    return await up.forward("insights", request, "/ai/weekly-insights", params={})


@route("GET", "/ai/savings-optimization", tags=TAGS, response_model=E[ins.SavingsOptimization])
async def savings_optimization(
    _: InsightsReader, request: Request, up: Services, x_user_timezone: ZoneHeader = None
) -> Response:
    """What trimming this month's discretionary spending would keep."""
    return await up.forward("insights", request, "/ai/savings-optimization", params={})


@route("GET", "/ai/spending-patterns", tags=TAGS, response_model=E[ins.SpendingPatterns])
async def spending_patterns(
    _: InsightsReader, request: Request, up: Services, year: int | None = Year,
    month: int | None = Month, x_user_timezone: ZoneHeader = None,
) -> Response:  # fmt: skip
    """How the month's money was spent, in sentences with the figures behind them."""
    return await monthly(up, request, "/ai/spending-patterns", year, month)


@route("GET", "/ai/monthly-report", tags=TAGS, response_model=E[ins.MonthlyReport])
async def monthly_report(
    _: InsightsReader, request: Request, up: Services, year: int | None = Year,
    month: int | None = Month, x_user_timezone: ZoneHeader = None,
) -> Response:  # fmt: skip
    """The month in a summary, highlights and recommendations."""
    return await monthly(up, request, "/ai/monthly-report", year, month)


@route("GET", "/ai/personalized-feedback", tags=TAGS, response_model=E[ins.PersonalizedFeedback])
async def personalized_feedback(
    _: InsightsReader, request: Request, up: Services, year: int | None = Year,
    month: int | None = Month, x_user_timezone: ZoneHeader = None,
) -> Response:  # fmt: skip
    """Feedback on the month and tips."""
    return await monthly(up, request, "/ai/personalized-feedback", year, month)


@route("POST", "/ai/assistant", tags=TAGS, response_model=E[ins.AssistantAnswer])
async def assistant(
    payload: ins.AssistantQuestion, _: InsightsReader, request: Request, up: Services,
    x_user_timezone: ZoneHeader = None,
) -> Response:  # fmt: skip
    """Answers about the caller's own money, with the exact figures."""
    return await up.forward("insights", request, "/ai/assistant", json=body(payload), params={})


@route("GET", "/ai/financial-health-score", tags=TAGS, response_model=E[HealthScore])
async def financial_health_score(_: InsightsReader, request: Request, up: Services) -> Response:
    """The month's financial health score (0..100, grade, components, risk), from the budget."""
    return await up.forward("budget", request, "/budget/health-score", params={})


@route("GET", "/analytics/health-score", tags=TAGS, response_model=E[HealthScore])
async def health_score(_: InsightsReader, request: Request, up: Services) -> Response:
    """The same score under the old backend's analytics path."""
    return await up.forward("budget", request, "/budget/health-score", params={})


@route("GET", "/ai/profile", tags=TAGS, response_model=E[bh.AiProfile])
async def ai_profile(
    _: InsightsReader, request: Request, up: Services, year: int | None = Year,
    month: int | None = Month, x_user_timezone: ZoneHeader = None,
) -> Response:  # fmt: skip
    """The caller's spending personality for the month: traits, strengths, what to work on."""
    return await monthly(up, request, "/ai/profile", year, month)


@route("GET", "/ai/budget-optimization", tags=TAGS, response_model=E[BudgetOptimization])
async def budget_optimization(_: InsightsReader, request: Request, up: Services) -> Response:
    """Where each category is heading this month and the moves that would keep the plan."""
    return await up.forward("budget", request, "/budget/optimization", params={})


@route("POST", "/ai/day-status-explanation", tags=TAGS, response_model=E[DayStatusExplanation])
async def day_status_explanation(
    payload: DayStatusQuestion, _: InsightsReader, request: Request, up: Services
) -> Response:
    """Why a day has its status (recomputed by the budget), with its planned and spent."""
    path = "/budget/day-status-explanation"
    return await up.forward("budget", request, path, json=body(payload), params={})


@route("POST", "/ai/snapshot", tags=TAGS, response_model=E[ins.Snapshot])
async def snapshot(
    _: ProfileWriter, request: Request, up: Services, year: int | None = Year,
    month: int | None = Month, x_user_timezone: ZoneHeader = None,
) -> Response:  # fmt: skip
    """Rate the month (default: this one) from the caller's own figures and keep it."""
    params = month_params(year, month)
    return await up.forward("insights", request, "/ai/snapshot", params=params)


@route("GET", "/ai/latest-snapshots", tags=TAGS, response_model=E[list[ins.Snapshot]])
async def latest_snapshots(_: InsightsReader, request: Request, up: Services) -> Response:
    """The caller's latest snapshots, most recent first."""
    return await up.forward("insights", request, "/ai/latest-snapshots", params={})
