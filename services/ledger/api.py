"""Ledger HTTP API (internal; the gateway publishes it under /api): parse, decide, map errors."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from eventsourcing.application import AggregateNotFoundError
from fastapi import APIRouter, Header, Query
from fastapi.responses import Response

from contracts.ledger import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_SUGGESTIONS,
    TRANSACTION_FIELDS,
    Category,
    TransactionCreate,
    TransactionUpdate,
    clamp_limit,
    fields_set,
    receipt_of,
    valid_idempotency_key,
)
from services.ledger.application import Saved
from services.ledger.asof import ledger_as_of
from services.ledger.deps import (
    Context,
    HeaderZone,
    LedgerContext,
    Reader,
    Writer,
    pick_zone,
    zone_for,
)
from services.ledger.domain import (
    AMENDABLE,
    InvalidTransaction,
    NotOwner,
    Transaction,
    TransactionDeleted,
)
from services.ledger.queries import (
    get_transaction,
    list_transactions,
    merchant_suggestions,
    transaction_public,
    transaction_row,
    user_defaults,
)
from services.ledger.receipts import owns_receipt
from shared import db, tokens
from shared.api import ApiError, invalid, ok, positioned
from shared.dates import DayOrInstant, end_bound, local_day, start_bound, timezone_of
from shared.identity import AdminClaims
from shared.replay import as_of_bound

router = APIRouter()
NOT_FOUND = "Transaction not found"
MISSING = (AggregateNotFoundError, NotOwner, TransactionDeleted)
ROW_FIELDS = ("user_id", "deleted", *AMENDABLE)
NO_NUL = r"^[^\x00]*$"


def refused(exc: InvalidTransaction) -> ApiError:
    """A domain refusal as a 422 naming the field."""
    return invalid(exc.field, str(exc))


def row_of(tx: Transaction) -> dict[str, Any]:
    """The read-model row a transaction's current state folds to (for a lagging projection)."""
    row: dict[str, Any] = {name: getattr(tx, name) for name in ROW_FIELDS}
    row.update(id=tx.id, version=tx.version, created_at=tx.created_on, updated_at=tx.modified_on)
    # Instants in UTC, as the read model answers them: the same answer however fast it caught up.
    return {k: v.astimezone(dt.UTC) if isinstance(v, dt.datetime) and v.tzinfo else v
            for k, v in row.items()}  # fmt: skip


def localized(value: dt.datetime | None, zone: dt.tzinfo) -> dt.datetime | None:
    """A naive ``spent_at`` is a wall-clock time in the user's zone."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=zone)


async def check_receipt(ctx: LedgerContext, caller: tokens.Claims, url: str | None) -> None:
    """A ``receipt_url`` must link one of the caller's own receipts (422 otherwise)."""
    receipt = receipt_of(url) if url else None
    if receipt is None:
        return  # no link, or not a receipt link at all (the domain's rule answers that)
    async with ctx.pool.connection() as conn:
        mine = await owns_receipt(
            conn, ctx.schema, caller.sub, receipt, ctx.settings.read_your_writes_timeout
        )
    if not mine:
        raise invalid("receipt_url", "receipt_url must link one of your own receipts")


async def answer_for(ctx: LedgerContext, saved: Saved) -> dict[str, Any]:
    """Read-your-writes: the row once the projection has the write, else the write model's."""
    await ctx.caught_up(saved.position)
    async with ctx.pool.connection() as conn:
        row = await transaction_row(conn, ctx.schema, saved.transaction.id)
    tx = saved.transaction
    if row is None or row["version"] < tx.version:
        row = row_of(tx)
    return transaction_public(row)


@router.get("/transactions")
async def transactions(
    caller: Reader,
    ctx: Context,
    zone: HeaderZone,
    skip: int = Query(default=0, ge=0, le=10_000_000),
    limit: int = Query(default=DEFAULT_LIMIT),
    start_date: Annotated[DayOrInstant | None, Query()] = None,
    end_date: Annotated[DayOrInstant | None, Query()] = None,
    category: Annotated[Category | None, Query()] = None,
) -> Response:
    """The caller's transactions, newest first; a date is a user-local day, a datetime an
    instant (see ``shared.dates``)."""
    tz = await zone_for(ctx, caller, zone)
    start, end = start_bound(start_date, tz), end_bound(end_date, tz)
    if start is not None and end is not None and start >= end:
        raise invalid("start_date", "start_date must not be after end_date")
    size = clamp_limit(limit)
    async with ctx.pool.connection() as conn:
        rows = await list_transactions(
            conn,
            ctx.schema,
            caller.sub,
            start=start,
            end=end,
            category=category,
            skip=skip,
            limit=size,
        )
    return ok([transaction_public(r) for r in rows], meta={"skip": skip, "limit": size})


@router.post("/transactions", status_code=201)
async def create(
    body: TransactionCreate,
    caller: Writer,
    ctx: Context,
    zone: HeaderZone,
    idempotency_key: Annotated[str | None, Header(max_length=1024)] = None,
) -> Response:
    """Record a transaction; a retried Idempotency-Key answers the first one again."""
    try:
        key = valid_idempotency_key(idempotency_key)
    except ValueError as exc:
        raise invalid("Idempotency-Key", str(exc)) from exc
    await check_receipt(ctx, caller, body.receipt_url)
    currency, tz = body.currency, pick_zone(zone, None)
    if currency is None or (body.spent_at is not None and body.spent_at.tzinfo is None):
        known_currency, known_zone = await ctx.defaults(caller)
        currency, tz = currency or known_currency, pick_zone(zone, known_zone)
    try:
        fields = {name: getattr(body, name) for name in TRANSACTION_FIELDS}
        fields.update(currency=currency, spent_at=localized(body.spent_at, tz))
        saved: Saved = await ctx.run(
            ctx.application.record, user_id=caller.sub, idempotency_key=key, **fields
        )
    except InvalidTransaction as exc:
        raise refused(exc) from exc
    message = "Transaction already recorded" if saved.replayed else "Transaction recorded"
    data = await answer_for(ctx, saved)
    return ok(data, status=201, message=message, headers=positioned(saved.position))


@router.get("/transactions/merchants/suggestions")
async def suggestions(
    caller: Reader,
    ctx: Context,
    q: str = Query(default="", max_length=100, pattern=NO_NUL),
    limit: int = Query(default=10),
) -> Response:
    """The caller's merchants starting with ``q``, most used first (at most 50)."""
    async with ctx.pool.connection() as conn:
        names = await merchant_suggestions(
            conn, ctx.schema, caller.sub, q, clamp_limit(limit, MAX_SUGGESTIONS)
        )
    return ok(names)


@router.get("/transactions/by-date")
async def by_date(
    caller: Reader, ctx: Context, zone: HeaderZone, date: Annotated[DayOrInstant, Query()]
) -> Response:
    """The caller's transactions of one user-local day (a datetime names its local day)."""
    tz = await zone_for(ctx, caller, zone)
    day = local_day(date, tz)
    async with ctx.pool.connection() as conn:
        rows = await list_transactions(
            conn,
            ctx.schema,
            caller.sub,
            start=start_bound(day, tz),
            end=end_bound(day, tz),
            skip=0,
            limit=MAX_LIMIT,
        )
    return ok([transaction_public(r) for r in rows], meta={"date": day.isoformat()})


@router.get("/transactions/{transaction_id:uuid}")
async def get_one(transaction_id: uuid.UUID, caller: Reader, ctx: Context) -> Response:
    """One of the caller's transactions (another user's or a deleted one: 404)."""
    async with ctx.pool.connection() as conn:
        row = await get_transaction(conn, ctx.schema, caller.sub, transaction_id)
    if row is None:
        raise ApiError(404, NOT_FOUND)
    return ok(transaction_public(row))


async def _amend(
    ctx: LedgerContext, caller: tokens.Claims, transaction_id: uuid.UUID, changes: dict[str, Any]
) -> Saved:
    try:
        saved: Saved = await ctx.run(
            ctx.application.amend, transaction_id, user_id=caller.sub, **changes
        )
    except MISSING as exc:
        raise ApiError(404, NOT_FOUND) from exc
    except InvalidTransaction as exc:
        raise refused(exc) from exc
    return saved


@router.put("/transactions/{transaction_id:uuid}")
async def update(
    transaction_id: uuid.UUID,
    body: TransactionUpdate,
    caller: Writer,
    ctx: Context,
    zone: HeaderZone,
) -> Response:
    """Change any subset of the create fields (a field sent as null stays as it is)."""
    changes = {k: v for k, v in fields_set(body).items() if v is not None}
    await check_receipt(ctx, caller, changes.get("receipt_url"))
    if isinstance(changes.get("spent_at"), dt.datetime) and changes["spent_at"].tzinfo is None:
        changes["spent_at"] = localized(changes["spent_at"], await zone_for(ctx, caller, zone))
    saved = await _amend(ctx, caller, transaction_id, changes)
    data = await answer_for(ctx, saved)
    return ok(data, message="Transaction updated", headers=positioned(saved.position))


@router.delete("/transactions/{transaction_id:uuid}")
async def delete(transaction_id: uuid.UUID, caller: Writer, ctx: Context) -> Response:
    """Soft-delete one of the caller's transactions."""
    try:
        saved: Saved = await ctx.run(ctx.application.delete, transaction_id, user_id=caller.sub)
    except MISSING as exc:
        raise ApiError(404, NOT_FOUND) from exc
    await ctx.caught_up(saved.position)
    data = {"deleted": True, "transaction_id": str(transaction_id)}
    return ok(data, message="Deleted", headers=positioned(saved.position))


@router.get("/admin/users/{user_id:uuid}/as-of")
async def as_of(
    _: AdminClaims,
    ctx: Context,
    user_id: uuid.UUID,
    as_of: Annotated[DayOrInstant, Query()],
) -> Response:
    """A user's transactions as they stood at ``as_of`` (admin), folded from the log."""
    async with ctx.pool.connection() as conn:
        _currency, zone_name = await user_defaults(conn, ctx.schema, user_id)
    until = as_of_bound(as_of, timezone_of(zone_name) or dt.UTC)
    # A connection of its own: the fold's temporary tables vanish with it.
    conn = await db.connect(ctx.settings.database_url)
    try:
        return ok(await ledger_as_of(conn, ctx.settings, user_id, until))
    finally:
        await conn.close()
