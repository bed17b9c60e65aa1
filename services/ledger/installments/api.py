"""Installment planner HTTP API (internal; raw bodies as the app reads them)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from contracts.installments import CalculatorIn
from services.ledger.deps import Context, HeaderZone, pick_zone
from services.ledger.installments.calculator import calculate
from shared import tokens
from shared.api import JSONResponse
from shared.identity import scoped

router = APIRouter()
Reader = Annotated[tokens.Claims, Depends(scoped("read:budget"))]


@router.post("/installments/calculator")
async def calculator(
    body: CalculatorIn, caller: Reader, ctx: Context, zone: HeaderZone
) -> Response:
    """The plan's payment, schedule (from the caller's local today) and risk, explained."""
    _, profile = await ctx.defaults(caller)
    today = dt.datetime.now(pick_zone(zone, profile)).date()
    return JSONResponse(calculate(body.model_dump(), today))
