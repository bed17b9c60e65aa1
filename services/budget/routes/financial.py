"""Affordability answers (raw objects: the app reads their keys from the body itself): dynamic
thresholds and housing affordability from the caller's income, region and plan."""

from __future__ import annotations

from decimal import Decimal

from fastapi import APIRouter
from fastapi.responses import Response

from contracts.financial import HousingIn, ThresholdsIn, UserContext
from services.budget.deps import Context, Reader
from services.budget.engine import categories as cat
from services.budget.engine.money import ZERO
from services.budget.engine.thresholds import housing, thresholds
from services.budget.read.views import month_view, per_category
from shared.api import JSONResponse

router = APIRouter()


async def plan_of(ctx: Context, caller: Reader) -> dict[str, Decimal]:
    """The planned amount per category of the caller's current month (empty: no plan)."""
    today = await ctx.today(caller.sub)
    async with ctx.pool.connection() as conn:
        month = await month_view(conn, ctx.schema, caller.sub, today.year, today.month)
    planned, _ = per_category(month)
    return planned if sum(planned.values(), ZERO) > 0 else {}


def income_of(context: UserContext, plan: dict[str, Decimal]) -> Decimal:
    """The income the app sent, else the one the plan sums to (0: unknown)."""
    return context.monthly_income or sum(plan.values(), ZERO)


@router.post("/financial/dynamic-thresholds")
async def dynamic_thresholds(body: ThresholdsIn, caller: Reader, ctx: Context) -> Response:
    """The thresholds of one type (docs/financial.md)."""
    plan = await plan_of(ctx, caller)
    income = income_of(body.user_context, plan)
    answer = thresholds(body.threshold_type, body.user_context.model_dump(), income, plan or None)
    return JSONResponse({k: v for k, v in answer.items() if v is not None})


@router.post("/financial/housing-affordability")
async def housing_affordability(body: HousingIn, caller: Reader, ctx: Context) -> Response:
    """Recommended, maximum and comfortable housing shares, and the plan's housing against
    them."""
    plan = await plan_of(ctx, caller)
    income = income_of(body.user_context, plan)
    current = plan.get(cat.HOUSING) if plan else None
    return JSONResponse(housing(body.user_context.model_dump(), income, current))
