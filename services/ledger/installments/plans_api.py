"""Installments HTTP API (internal; raw bodies as the app reads them): create, list with the
summary, get, change (payments made, status, notes), delete. Another user's installment, an
unknown one and a deleted one are the same 404."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from contracts.installment_plans import InstallmentIn, InstallmentPatch
from services.ledger.deps import Context, HeaderZone, LedgerContext
from services.ledger.installments import rules
from services.ledger.installments.api import PROJECTION, Reader, Writer, zone_of
from services.ledger.installments.application import SavedInstallment
from services.ledger.installments.domain import (
    Installment,
    InstallmentNotFound,
)
from services.ledger.installments.projections import PLAN_COLUMNS
from services.ledger.installments.queries import income_for, installment_row, list_installments
from shared.api import ApiError, JSONResponse, ok, positioned

router = APIRouter()
NOT_FOUND = "Installment not found"
Status = Literal["active", "completed", "cancelled", "overdue"]


def row_of(found: Installment) -> dict[str, Any]:
    """The read-model row an installment's state folds to (answers never wait on it)."""
    row = {name: getattr(found, name) for name in PLAN_COLUMNS}
    row.update(id=found.id, user_id=found.user_id, created_at=found.created_at,
               updated_at=found.updated_at)  # fmt: skip
    return row


async def today_of(ctx: LedgerContext, caller: Any, zone: HeaderZone) -> dt.date:
    """The caller's local today."""
    return dt.datetime.now(await zone_of(ctx, caller, zone)).date()


async def plans_and_income(
    ctx: LedgerContext, caller: Any
) -> tuple[list[dict[str, Any]], Decimal | None]:
    """The caller's live installments and the monthly income their load is measured against."""
    async with ctx.pool.connection() as conn:
        rows = await list_installments(conn, ctx.schema, caller.sub)
        return rows, await income_for(conn, ctx.schema, caller.sub)


async def decided(
    ctx: LedgerContext, caller: Any, zone: HeaderZone, decide: Callable[[], SavedInstallment],
    status: int = 200,
) -> Response:  # fmt: skip
    """Run a write use case, wait (bounded) until the list has it, answer the installment."""
    saved: SavedInstallment = await ctx.decided(
        decide, projection=PROJECTION, not_found=(InstallmentNotFound, NOT_FOUND)
    )
    view = rules.view(row_of(saved.installment), await today_of(ctx, caller, zone))
    return JSONResponse(view, status_code=status, headers=positioned(saved.position))


@router.post("/installments", status_code=201)
async def create(body: InstallmentIn, caller: Writer, ctx: Context, zone: HeaderZone) -> Response:
    """Track an installment from the app's whole object."""
    form = body.model_dump()
    return await decided(
        ctx, caller, zone,
        lambda: ctx.application.create_installment(user_id=caller.sub, **form), 201,
    )  # fmt: skip


@router.get("/installments")
async def listed(
    caller: Reader, ctx: Context, zone: HeaderZone, status: Annotated[Status | None, Query()] = None
) -> Response:
    """The caller's installments (optionally of one status) with the summary and the load."""
    rows, income = await plans_and_income(ctx, caller)
    return JSONResponse(rules.summary(rows, await today_of(ctx, caller, zone), income, status))


@router.get("/financial/installment-evaluate")
async def evaluate(caller: Reader, ctx: Context, zone: HeaderZone) -> Response:
    """Each ongoing installment weighed against the monthly income (in the envelope)."""
    rows, income = await plans_and_income(ctx, caller)
    return ok(rules.evaluations(rows, await today_of(ctx, caller, zone), income))


@router.get("/installments/{installment_id}")
async def one(
    installment_id: uuid.UUID, caller: Reader, ctx: Context, zone: HeaderZone
) -> Response:
    """One of the caller's installments."""
    async with ctx.pool.connection() as conn:
        row = await installment_row(conn, ctx.schema, caller.sub, installment_id)
    if row is None:
        raise ApiError(404, NOT_FOUND)
    return JSONResponse(rules.view(row, await today_of(ctx, caller, zone)))


@router.patch("/installments/{installment_id}")
async def change(
    installment_id: uuid.UUID, body: InstallmentPatch, caller: Writer, ctx: Context,
    zone: HeaderZone,
) -> Response:  # fmt: skip
    """Set the payments made, cancel / re-activate / complete, or set the notes."""
    given = body.model_dump(exclude_unset=True)
    return await decided(
        ctx, caller, zone,
        lambda: ctx.application.update_installment(
            installment_id, user_id=caller.sub, payments_made=given.get("payments_made"),
            status=given.get("status"), notes=given.get("notes"), set_notes="notes" in given,
        ),
    )  # fmt: skip


@router.delete("/installments/{installment_id}", status_code=204)
async def delete(installment_id: uuid.UUID, caller: Writer, ctx: Context) -> Response:
    """Delete one of the caller's installments."""
    try:
        position = await ctx.run(
            lambda: ctx.application.delete_installment(installment_id, user_id=caller.sub)
        )
    except InstallmentNotFound:
        raise ApiError(404, NOT_FOUND) from None
    await ctx.caught_up(position, projection=PROJECTION)
    return Response(status_code=204, headers=positioned(position))
