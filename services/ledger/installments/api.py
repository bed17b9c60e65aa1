"""Installment planner HTTP API (internal; raw bodies as the app reads them): the calculator,
the financial profile, the achievements and the payment calendar."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import Response

from contracts.installment_plans import PROFILE_FIELDS, ProfileIn
from contracts.installments import CalculatorIn
from services.ledger.deps import Context, HeaderZone, LedgerContext, pick_zone
from services.ledger.installments import rules
from services.ledger.installments.calculator import calculate
from services.ledger.installments.queries import calculations, list_installments, profile_row
from shared import tokens
from shared.api import ApiError, JSONResponse, positioned
from shared.identity import scoped

router = APIRouter()
Reader = Annotated[tokens.Claims, Depends(scoped("read:budget"))]
Writer = Annotated[tokens.Claims, Depends(scoped("manage:budget"))]
PROJECTION = "ledger_installments"
MONEY_FIELDS = {name for name in PROFILE_FIELDS if name not in ("age_group", "planning_mortgage")}


async def zone_of(ctx: LedgerContext, caller: tokens.Claims, zone: HeaderZone) -> dt.tzinfo:
    """The caller's zone (the header, else the profile's)."""
    _, profile = await ctx.defaults(caller)
    return pick_zone(zone, profile)


@router.post("/installments/calculator")
async def calculator(
    body: CalculatorIn, caller: Reader, ctx: Context, zone: HeaderZone
) -> Response:
    """The plan's payment, schedule (from the caller's local today) and risk, explained; the
    calculation is recorded for the achievements."""
    today = dt.datetime.now(await zone_of(ctx, caller, zone)).date()
    answer = calculate(body.model_dump(), today)
    position = await ctx.run(
        lambda: ctx.application.record_calculation(
            caller.sub, category=body.category, purchase_amount=body.purchase_amount,
            risk_level=answer["risk_level"], total_interest=answer["total_interest"],
        )
    )  # fmt: skip
    return JSONResponse(answer, headers=positioned(position))


def profile_view(user_id: uuid.UUID, fields: dict[str, Any], at: dt.datetime) -> dict[str, Any]:
    """The profile as the app reads it: money as numbers or null."""
    out: dict[str, Any] = {"id": str(user_id), "user_id": str(user_id)}
    for name in PROFILE_FIELDS:
        value = fields.get(name)
        out[name] = Decimal(str(value)) if name in MONEY_FIELDS and value is not None else value
    out["planning_mortgage"] = bool(out["planning_mortgage"])
    out["updated_at"] = at.isoformat()
    return out


@router.get("/installments/profile")
async def get_profile(caller: Reader, ctx: Context) -> Response:
    """The caller's installment profile (404 when none was saved)."""
    async with ctx.pool.connection() as conn:
        row = await profile_row(conn, ctx.schema, caller.sub)
    if row is None:
        raise ApiError(404, "No installment profile yet")
    return JSONResponse(profile_view(caller.sub, row["fields"], row["updated_at"]))


@router.post("/installments/profile")
async def save_profile(body: ProfileIn, caller: Writer, ctx: Context) -> Response:
    """Save the caller's installment profile (the whole form)."""
    profile, position = await ctx.run(
        lambda: ctx.application.save_installment_profile(caller.sub, body.model_dump())
    )
    if position:
        await ctx.caught_up(position, projection=PROJECTION)
    assert profile.updated_at is not None
    view = profile_view(caller.sub, profile.fields, profile.updated_at)
    return JSONResponse(view, headers=positioned(position))


@router.get("/installments/achievements")
async def achievements(caller: Reader, ctx: Context, zone: HeaderZone) -> Response:
    """What the caller's installment history adds up to (docs/installments.md)."""
    tz = await zone_of(ctx, caller, zone)
    async with ctx.pool.connection() as conn:
        plans = await list_installments(conn, ctx.schema, caller.sub)
        done = await calculations(conn, ctx.schema, caller.sub)
    now = dt.datetime.now(dt.UTC)
    return JSONResponse(rules.achievements(str(caller.sub), plans, done, now, tz))


@router.get("/installments/calendar/{year}/{month}")
async def month_calendar(
    caller: Reader, ctx: Context, zone: HeaderZone,
    year: Annotated[int, Path(ge=1970, le=2200)], month: Annotated[int, Path(ge=1, le=12)],
) -> Response:  # fmt: skip
    """Every payment of the month: paid, due or overdue, by day."""
    today = dt.datetime.now(await zone_of(ctx, caller, zone)).date()
    async with ctx.pool.connection() as conn:
        plans = await list_installments(conn, ctx.schema, caller.sub)
    return JSONResponse(rules.calendar(plans, year, month, today))
