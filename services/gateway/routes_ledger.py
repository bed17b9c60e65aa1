"""Public transaction routes (`/api/transactions/*`), served by the ledger service."""

# Day filters (``start_date``/``end_date``) and naive ``spent_at`` values are user-local: the
# ledger takes the zone from ``X-User-Timezone`` when the caller sends it (the gateway forwards
# it), else from the user's profile timezone as the ledger last heard it from auth, else UTC.

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Header, Query, Request
from starlette.responses import Response

from contracts import ledger as lg
from contracts.envelope import Envelope as E
from contracts.ledger import (
    DEFAULT_LIMIT,
    IDEMPOTENCY_KEY_MAX,
    Category,
    IdempotencyKeyHeader,
    Timezone,
    TransactionCreate,
    TransactionUpdate,
)
from services.gateway.deps import Services, TransactionsReader, TransactionsWriter
from services.gateway.routing import body, slash_tolerant
from services.gateway.sync import caught_up_with
from services.gateway.upstream import Upstream
from shared.api import JSONResponse
from shared.dates import DayOrInstant, as_text

router = APIRouter(prefix="/api", redirect_slashes=False)
route = slash_tolerant(router)
TAGS = ["transactions"]
NO_NUL = r"^[^\x00]*$"
ZoneHeader = Annotated[
    Timezone,
    Header(max_length=64, description="IANA zone for user-local days (default: profile, UTC)"),
]


async def budget_side(
    up: Upstream, request: Request, answer: httpx.Response, **params: Any
) -> dict[str, Any] | None:
    """Wait (bounded, in the budget service) until the budget has seen a ledger write."""
    return await caught_up_with(
        up, request, "budget", "/budget/sync", answer, service="ledger", **params
    )


def with_balance_impact(envelope: dict[str, Any], synced: dict[str, Any] | None) -> Response:
    """The recorded transaction with the rebalance fields and ``meta.balance_impact``."""
    data = envelope["data"]
    impact: dict[str, Any] = (synced or {}).get("impact") or {}
    data.update(
        rebalanced=bool(impact.get("rebalanced")),
        rebalance_covered=impact.get("rebalance_covered", Decimal("0.00")),
        rebalance_fully_covered=bool(impact.get("rebalance_fully_covered")),
    )
    balance = {
        "category": data["category"],
        "amount": data["amount"],
        # None when the budget knows no plan for that day (or could not answer in time).
        "remaining_budget": impact.get("remaining_budget"),
        "budget_exceeded": bool(impact.get("budget_exceeded")),
    }
    envelope["meta"] = {**(envelope.get("meta") or {}), "balance_impact": balance}
    return JSONResponse(envelope, status_code=201)


@route("GET", "/transactions", tags=TAGS, response_model=E[list[lg.TransactionOut]])
async def list_transactions(
    _: TransactionsReader,
    request: Request,
    up: Services,
    x_user_timezone: ZoneHeader = None,
    skip: int = Query(default=0, ge=0, le=10_000_000),
    limit: int = Query(default=DEFAULT_LIMIT, description="Clamped to 1..1000"),
    start_date: Annotated[
        DayOrInstant | None, Query(description="First user-local day, or an instant")
    ] = None,
    end_date: Annotated[
        DayOrInstant | None, Query(description="Last user-local day, or an instant")
    ] = None,
    category: Annotated[Category | None, Query()] = None,
) -> Response:
    """The caller's transactions, newest ``spent_at`` first."""
    params: dict[str, Any] = {"skip": skip, "limit": limit}
    for name, value in (("start_date", start_date), ("end_date", end_date)):
        if value is not None:
            params[name] = as_text(value)
    if category is not None:
        params["category"] = category
    return await up.forward("ledger", request, "/transactions", params=params)


@route(
    "POST", "/transactions", status_code=201, tags=TAGS, response_model=E[lg.RecordedTransaction]
)
async def create_transaction(
    payload: TransactionCreate,
    _: TransactionsWriter,
    request: Request,
    up: Services,
    idempotency_key: Annotated[
        IdempotencyKeyHeader,
        Header(max_length=IDEMPOTENCY_KEY_MAX, description="A retry returns the first result"),
    ] = None,
    x_user_timezone: ZoneHeader = None,
) -> Response:
    """Record a transaction (201); a retried Idempotency-Key answers the first one again."""
    answer = await up.call("ledger", "POST", "/transactions", request=request, json=body(payload))
    if answer.status_code != 201:
        return up.relay("ledger", answer)
    recorded: dict[str, Any] = json.loads(answer.content, parse_float=Decimal)
    synced = await budget_side(up, request, answer, transaction_id=recorded["data"]["id"])
    return with_balance_impact(recorded, synced)


@route("GET", "/transactions/merchants/suggestions", tags=TAGS, response_model=E[list[str]])
async def merchant_suggestions(
    _: TransactionsReader,
    request: Request,
    up: Services,
    q: str = Query(default="", max_length=100, pattern=NO_NUL),
    limit: int = Query(default=10, description="Clamped to 1..50"),
) -> Response:
    """The caller's merchant names starting with ``q``, most used first."""
    params = {"q": q, "limit": limit}
    return await up.forward("ledger", request, "/transactions/merchants/suggestions", params=params)


@route("GET", "/transactions/by-date", tags=TAGS, response_model=list[lg.TransactionOut])
async def by_date(
    _: TransactionsReader,
    request: Request,
    up: Services,
    date: Annotated[DayOrInstant, Query(description="A user-local day, or an instant in it")],
    x_user_timezone: ZoneHeader = None,
) -> Response:
    """The caller's transactions of one day, as a bare JSON list (the app reads the raw body)."""
    answer = await up.call(
        "ledger", "GET", "/transactions/by-date", request=request, params={"date": as_text(date)}
    )
    if answer.status_code != 200:
        return up.relay("ledger", answer)
    rows: list[dict[str, Any]] = json.loads(answer.content, parse_float=Decimal)["data"]
    return JSONResponse(rows)


@route("GET", "/transactions/{transaction_id:uuid}", tags=TAGS, response_model=E[lg.TransactionOut])
async def get_transaction(
    transaction_id: uuid.UUID, _: TransactionsReader, request: Request, up: Services
) -> Response:
    """One of the caller's transactions (another user's or a deleted one: 404)."""
    return await up.forward("ledger", request, f"/transactions/{transaction_id}", params={})


@route("PUT", "/transactions/{transaction_id:uuid}", tags=TAGS, response_model=E[lg.TransactionOut])
async def update_transaction(
    transaction_id: uuid.UUID,
    payload: TransactionUpdate,
    _: TransactionsWriter,
    request: Request,
    up: Services,
    x_user_timezone: ZoneHeader = None,
) -> Response:
    """Change any subset of the create fields."""
    path = f"/transactions/{transaction_id}"
    answer = await up.call("ledger", "PUT", path, request=request, json=body(payload))
    if answer.status_code == 200:
        await budget_side(up, request, answer)
    return up.relay("ledger", answer)


@route(
    "DELETE",
    "/transactions/{transaction_id:uuid}",
    tags=TAGS,
    response_model=E[lg.DeletedTransaction],
)
async def delete_transaction(
    transaction_id: uuid.UUID, _: TransactionsWriter, request: Request, up: Services
) -> Response:
    """Delete one of the caller's transactions."""
    path = f"/transactions/{transaction_id}"
    answer = await up.call("ledger", "DELETE", path, request=request)
    if answer.status_code == 200:
        await budget_side(up, request, answer)
    return up.relay("ledger", answer)
