"""Admin routes of the auth service (admin scope): the users list, and each account action —
lock, unlock, revoke tokens — an event on the account, with the admin who took it."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from contracts.auth import LockRequest
from services.auth.application import Saved
from services.auth.deps import Context
from services.auth.queries import list_users
from services.auth.rules import AccountDeleted
from shared import tokens
from shared.api import ApiError, ok, positioned

router = APIRouter(prefix="/admin")


@router.get("/users")
async def admin_users(
    request: Request,
    ctx: Context,
    limit: int = Query(default=50),
    offset: int = Query(default=0, ge=0, le=10_000_000),
    q: Annotated[str, Query(max_length=120, pattern=r"^[^\x00]*$")] = "",
) -> Response:
    """A page of users for the admin portal (``q``: a piece of the email or name; page size
    clamped to 1..100)."""
    await ctx.authenticator.require(request, tokens.ADMIN_SCOPE)
    size = min(max(limit, 1), 100)
    async with ctx.pool.connection() as conn:
        rows, total = await list_users(
            conn, ctx.schema, limit=size, offset=offset, search=q.strip()
        )
    for row in rows:
        row["id"] = str(row["id"])
    return ok(rows, meta={"total": total, "limit": size, "offset": offset})


async def _acted(ctx: Context, saved: Saved) -> Response:
    """The account's state after an admin action (its tokens' version published; the users
    list shows it, within the read-your-writes bound)."""
    await ctx.tokens.publish_version(saved.user.id, saved.user.token_version)
    await ctx.caught_up(saved.position)
    body = {"user_id": str(saved.user.id), "locked": saved.user.locked,
            "token_version": saved.user.token_version}  # fmt: skip
    return ok(body, headers=positioned(saved.position))


async def _act(ctx: Context, fn: object, user_id: uuid.UUID, **kwargs: object) -> Saved:
    try:
        saved: Saved = await ctx.run(fn, user_id, **kwargs)
    except (KeyError, AccountDeleted):
        raise ApiError(404, "User not found") from None
    return saved


@router.post("/users/{user_id:uuid}/lock")
async def lock(user_id: uuid.UUID, body: LockRequest, request: Request, ctx: Context) -> Response:
    """Lock an account: no sign-in and every token dead until it is unlocked."""
    admin = await ctx.authenticator.require(request, tokens.ADMIN_SCOPE)
    if admin.sub == user_id:
        raise ApiError(409, "An admin cannot lock their own account")
    saved = await _act(
        ctx, ctx.application.lock, user_id, reason=body.reason, by=admin.sub, now=ctx.now()
    )
    return await _acted(ctx, saved)


@router.post("/users/{user_id:uuid}/unlock")
async def unlock(user_id: uuid.UUID, request: Request, ctx: Context) -> Response:
    """Unlock an account."""
    admin = await ctx.authenticator.require(request, tokens.ADMIN_SCOPE)
    saved = await _act(ctx, ctx.application.unlock, user_id, by=admin.sub, now=ctx.now())
    return await _acted(ctx, saved)


@router.post("/users/{user_id:uuid}/revoke-tokens")
async def revoke(user_id: uuid.UUID, request: Request, ctx: Context) -> Response:
    """Kill every token of an account (it signs in again)."""
    admin = await ctx.authenticator.require(request, tokens.ADMIN_SCOPE)
    saved = await _act(ctx, ctx.application.revoke_tokens, user_id, reason=f"admin {admin.sub}")
    return await _acted(ctx, saved)
