"""Public home-screen routes: `/api/dashboard` (budget + ledger) and check-affordability.

Registered before the ledger router, so ``/api/transactions/check-affordability`` is never
taken for ``/api/transactions/{transaction_id}``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from decimal import Decimal
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from contracts import budget_answers as b
from contracts.budget import AffordabilityRequest, look
from contracts.envelope import Envelope as E
from services.gateway.deps import BudgetReader, Services
from services.gateway.routing import body, slash_tolerant
from services.gateway.upstream import is_error_envelope
from shared.api import JSONResponse, error_body, ok
from shared.dates import DayOrInstant, as_text

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api", redirect_slashes=False)
route = slash_tolerant(router)
LATEST = 10


def failed(service: str, answer: httpx.Response) -> Response:
    """An upstream error relayed as our envelope (never a foreign page or a 5xx body)."""
    if answer.status_code < 500 and is_error_envelope(answer):
        return Response(
            answer.content,
            status_code=answer.status_code,
            headers={"content-type": "application/json"},
        )
    log.warning("%s answered %s for the dashboard", service, answer.status_code)
    status = answer.status_code if answer.status_code < 500 else 502
    message = "Upstream service error" if status >= 500 else "Request failed"
    return JSONResponse(error_body(status, message), status_code=status)


def latest(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ledger's transactions as the dashboard lists them."""
    out = []
    for row in rows[:LATEST]:
        icon, color = look(str(row["category"]))
        out.append(
            {
                "id": row["id"],
                "amount": row["amount"],
                "category": row["category"],
                "action": row.get("description") or "",
                "date": row["spent_at"],
                "icon": icon,
                "color": color,
            }
        )
    return out


@route("GET", "/dashboard", tags=["dashboard"], response_model=E[b.Dashboard])
async def dashboard(_: BudgetReader, request: Request, up: Services) -> Response:
    """Balance, today's targets, the week, the latest 10 transactions and an insight."""
    budget, ledger = await asyncio.gather(
        up.call("budget", "GET", "/dashboard", request=request),
        up.call("ledger", "GET", "/transactions", request=request, params={"limit": LATEST}),
    )
    if budget.status_code != 200:
        return failed("budget", budget)
    if ledger.status_code != 200:
        return failed("ledger", ledger)
    data: dict[str, Any] = json.loads(budget.content, parse_float=Decimal)["data"]
    rows: list[dict[str, Any]] = json.loads(ledger.content, parse_float=Decimal)["data"]
    data["transactions"] = latest(rows)
    return ok(data)


@route(
    "GET", "/transactions/budget-status", tags=["transactions"], response_model=E[b.BudgetStatus]
)
async def budget_status(
    _: BudgetReader,
    request: Request,
    up: Services,
    date: Annotated[
        DayOrInstant | None, Query(description="A user-local day or an instant")
    ] = None,
) -> Response:
    """A day's budget per category (default: today) and its month so far."""
    params = {"date": as_text(date)} if date is not None else {}
    return await up.forward("budget", request, "/transactions/budget-status", params=params)


@route(
    "POST",
    "/transactions/check-affordability",
    tags=["transactions"],
    response_model=E[b.Affordability],
)
async def check_affordability(
    payload: AffordabilityRequest, _: BudgetReader, request: Request, up: Services
) -> Response:
    """Would a purchase fit that day's budget of its category (default: today)?"""
    path = "/transactions/check-affordability"
    return await up.forward("budget", request, path, json=body(payload), params={})
