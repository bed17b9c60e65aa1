"""Analytics of the caller's spending, and the app's usage events (internal routes)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Query
from starlette.responses import Response

from contracts.insights import FeatureAccessIn, FeatureUsageIn, PaywallImpressionIn
from services.insights import analytics
from services.insights.deps import (
    Admin,
    AskedMonth,
    AskedYear,
    Context,
    HeaderZone,
    InsightsContext,
    Reader,
    Writer,
    viewing,
)
from services.insights.domain import InvalidEntry
from services.insights.read import queries
from services.insights.read.queries import Reads, admin_figures, cluster_model
from shared import tokens
from shared.api import ApiError, invalid, ok, positioned

router = APIRouter()


async def figures(
    ctx: InsightsContext, caller: tokens.Claims, zone: str | None, what: str, **args: Any
) -> dict[str, Any]:
    """Run one analytics read for the caller (month defaults: the current local month)."""
    async with viewing(ctx, caller, zone) as (reads, person, today):
        if what in ("monthly", "breakdown"):
            year, month = args.get("year") or today.year, args.get("month") or today.month
            build = analytics.monthly if what == "monthly" else analytics.breakdown
            return await build(reads, caller.sub, person, year, month)
        if what == "trends":
            return await analytics.trends(reads, caller.sub, person, today, args["months"])
        return await analytics.dashboard(reads, caller.sub, person, today)


@router.get("/analytics/monthly")
async def monthly(
    caller: Reader,
    ctx: Context,
    zone: HeaderZone,
    year: AskedYear = None,
    month: AskedMonth = None,
) -> Response:
    """One local month of the caller's spending."""
    return ok(await figures(ctx, caller, zone, "monthly", year=year, month=month))


@router.get("/analytics/category-breakdown")
async def category_breakdown(
    caller: Reader,
    ctx: Context,
    zone: HeaderZone,
    year: AskedYear = None,
    month: AskedMonth = None,
) -> Response:
    """One local month's spending per category."""
    return ok(await figures(ctx, caller, zone, "breakdown", year=year, month=month))


@router.get("/analytics/trends")
async def trends(
    caller: Reader, ctx: Context, zone: HeaderZone, months: int = Query(default=6, ge=2, le=24)
) -> Response:
    """Month totals of the last ``months`` local months and their direction."""
    return ok(await figures(ctx, caller, zone, "trends", months=months))


@router.get("/analytics/dashboard")
async def dashboard(caller: Reader, ctx: Context, zone: HeaderZone) -> Response:
    """This month against the last, and the six-month trend."""
    return ok(await figures(ctx, caller, zone, "dashboard"))


async def usage(ctx: InsightsContext, caller: tokens.Claims, kind: str, body: Any) -> Response:
    """Take in one usage event (200, as the app checks)."""
    fields = body.model_dump(exclude={"feature", "screen"})
    try:
        event, position = await ctx.run(
            ctx.application.record_usage,
            user_id=caller.sub,
            kind=kind,
            feature=getattr(body, "feature", None),
            screen=getattr(body, "screen", None),
            details=fields,
            occurred_at=ctx.now(),
        )
    except InvalidEntry as exc:
        raise invalid(exc.field, str(exc)) from exc
    return ok({"recorded": True, "event_id": str(event.id)}, headers=positioned(position))


@router.post("/analytics/feature-usage")
async def feature_usage(body: FeatureUsageIn, caller: Writer, ctx: Context) -> Response:
    """A feature was used."""
    return await usage(ctx, caller, "feature_usage", body)


@router.post("/analytics/feature-access-attempt")
async def feature_access(body: FeatureAccessIn, caller: Writer, ctx: Context) -> Response:
    """A (premium) feature was tried."""
    return await usage(ctx, caller, "feature_access_attempt", body)


@router.post("/analytics/paywall-impression")
async def paywall(body: PaywallImpressionIn, caller: Writer, ctx: Context) -> Response:
    """A paywall was shown."""
    return await usage(ctx, caller, "paywall_impression", body)


@router.get("/analytics/feature-usage/{user_id}/{feature}")
async def feature_usage_stats(
    user_id: uuid.UUID, feature: str, caller: Reader, ctx: Context
) -> Response:
    """The caller's own use of one feature (another user's id: 404)."""
    if user_id != caller.sub:
        raise ApiError(404, "User not found")
    async with ctx.pool.connection() as conn:
        rows = await queries.feature_usage(Reads(conn, ctx.schema), caller.sub, feature[:100])
    data = {
        "feature": feature[:100],
        "total_events": sum(int(r["events"]) for r in rows),
        "by_kind": {r["kind"]: int(r["events"]) for r in rows},
        "first_used_at": min((r["first_at"] for r in rows), default=None),
        "last_used_at": max((r["last_at"] for r in rows), default=None),
    }
    return ok(data)


@router.get("/admin/insights")
async def admin_insights(
    _: Admin, ctx: Context, days: int = Query(default=30, ge=1, le=365)
) -> Response:
    """Users, active users, usage events per day and cluster sizes: no personal data."""
    async with ctx.pool.connection() as conn:
        reads = Reads(conn, ctx.schema)
        figures = await admin_figures(reads, days)
        model = await cluster_model(conn, ctx.schema)
    figures["cluster_sizes"] = (model or {}).get("sizes", {})
    figures["cluster_model"] = (model or {}).get("version")
    return ok(figures)
