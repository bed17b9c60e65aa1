"""Public affordability routes (`/api/financial/*`): dynamic thresholds and housing
affordability from the budget context (raw objects — the app reads their keys from the body,
dynamic_threshold_service.dart:181, 220), installment evaluation from the ledger context (in
the envelope, api_service.dart:2662)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from contracts import financial as fi
from contracts.envelope import Envelope as E
from services.gateway.deps import BudgetReader, Services
from services.gateway.routes_insights import ZoneHeader
from services.gateway.routing import body, slash_tolerant

router = APIRouter(prefix="/api", redirect_slashes=False)
route = slash_tolerant(router)
TAGS = ["financial"]


@route("POST", "/financial/dynamic-thresholds", tags=TAGS, response_model=fi.ThresholdsOut,
       response_model_exclude_none=True)  # fmt: skip
async def dynamic_thresholds(
    payload: fi.ThresholdsIn, _: BudgetReader, request: Request, up: Services
) -> Response:
    """The thresholds of one type, scaled to the income tier and region, or read from the
    caller's plan (docs/financial.md)."""
    path = "/financial/dynamic-thresholds"
    return await up.forward("budget", request, path, json=body(payload), params={})


@route("POST", "/financial/housing-affordability", tags=TAGS, response_model=fi.HousingOut)
async def housing_affordability(
    payload: fi.HousingIn, _: BudgetReader, request: Request, up: Services
) -> Response:
    """Recommended, maximum and comfortable housing shares of income, and the plan's housing
    against them."""
    path = "/financial/housing-affordability"
    return await up.forward("budget", request, path, json=body(payload), params={})


@route("GET", "/financial/installment-evaluate", tags=TAGS,
       response_model=E[list[fi.InstallmentEvaluation]])  # fmt: skip
async def installment_evaluate(
    _: BudgetReader, request: Request, up: Services, x_user_timezone: ZoneHeader = None
) -> Response:
    """Each ongoing installment weighed against the monthly income."""
    return await up.forward("ledger", request, "/financial/installment-evaluate", params={})
