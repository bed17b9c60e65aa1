"""Premium HTTP API (internal; the gateway publishes it under /api): receipt validation, the
caller's premium status, features and history, ending a subscription, the referral code.
``/users/{id}/…`` with another user's id is a 404, as an unknown one is; so is another
user's subscription."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from contracts.premium import FEATURES, StatusUpdate, ValidateReceipt
from services.auth.deps import AuthContext, Caller, Context
from services.auth.premium import queries
from services.auth.premium.domain import NotYours, StatusRefused, Subscription
from services.auth.premium.verifier import ForgedReceipt, StoreUnavailable
from shared import tokens
from shared.api import ApiError, JSONResponse, invalid, ok, positioned

router = APIRouter()
PROJECTION = "auth_premium"


def shown(row: dict[str, Any], ctx: AuthContext) -> dict[str, Any]:
    """A subscription row as ``SubscriptionInfo.fromJson`` reads it (an active one past its
    expiry shows as expired)."""
    status = row["status"]
    if status == "active" and not queries.entitled(row, ctx.now()):
        status = "expired"
    return {
        "subscription_id": str(row["id"]), "product_id": row["product_id"], "status": status,
        "expires_at": row["expires_at"].isoformat(), "auto_renew": row["auto_renew"],
        "trial_period": row["trial"], "platform": row["platform"],
        "purchased_at": row["purchased_at"].isoformat(), "grace_period_expires_at": None,
        "billing_retry_until": None, "metadata": {},
    }  # fmt: skip


def row_of(sub: Subscription) -> dict[str, Any]:
    """The read-model row a subscription's state folds to (answers never wait on it)."""
    return {"id": sub.id, "product_id": sub.product_id, "status": sub.status,
            "expires_at": sub.expires_at, "auto_renew": sub.auto_renew, "trial": sub.trial,
            "platform": sub.platform, "purchased_at": sub.purchased_at}  # fmt: skip


def own(caller: tokens.Claims, user_id: uuid.UUID) -> None:
    """404 unless the path names the caller (another user's id reveals nothing, not even
    that the account exists)."""
    if user_id != caller.sub:
        raise ApiError(404, "User not found")


async def held(ctx: AuthContext, user: uuid.UUID) -> list[dict[str, Any]]:
    """The user's subscriptions from the read model."""
    async with ctx.pool.connection() as conn:
        return await queries.subscriptions(conn, ctx.schema, user)


@router.post("/iap/validate")
async def validate(body: ValidateReceipt, caller: Caller, ctx: Context) -> Response:
    """Verify a store receipt and record the purchase; answers raw (the app caches the body
    and reads ``subscription``)."""
    try:
        purchase = await ctx.verifier.verify(body.receipt, body.platform)
    except ForgedReceipt as exc:
        raise ApiError(422, f"Receipt refused: {exc}") from None
    except StoreUnavailable as exc:
        raise ApiError(503, "The store could not verify the receipt; try again later") from exc
    try:
        saved = await ctx.run(ctx.application.record_purchase, caller.sub, body.platform,
                              purchase, ctx.now())  # fmt: skip
    except NotYours:
        raise ApiError(409, "This purchase belongs to another account") from None
    await ctx.caught_up(saved.position, projection=PROJECTION)
    row = row_of(saved.subscription)
    body_out = {"status": "valid", "is_premium": queries.entitled(row, ctx.now()),
                "subscription": shown(row, ctx)}  # fmt: skip
    return JSONResponse(body_out, headers=positioned(saved.position))


@router.get("/users/{user_id}/premium-status")
async def premium_status(user_id: uuid.UUID, caller: Caller, ctx: Context) -> Response:
    """Whether the caller is premium now, and the subscription that says so (or the latest)."""
    own(caller, user_id)
    found = queries.current(await held(ctx, user_id), ctx.now())
    premium = found is not None and queries.entitled(found, ctx.now())
    return ok({"is_premium": premium, "subscription": shown(found, ctx) if found else None})


@router.get("/users/{user_id}/premium-features")
async def premium_features(user_id: uuid.UUID, caller: Caller, ctx: Context) -> Response:
    """The premium features the caller has now (none without an entitlement)."""
    own(caller, user_id)
    found = queries.current(await held(ctx, user_id), ctx.now())
    premium = found is not None and queries.entitled(found, ctx.now())
    return ok({"is_premium": premium, "features": list(FEATURES) if premium else []})


@router.get("/users/{user_id}/subscription-history")
async def history(user_id: uuid.UUID, caller: Caller, ctx: Context) -> Response:
    """Every subscription the caller held, newest first."""
    own(caller, user_id)
    return ok([shown(r, ctx) for r in await held(ctx, user_id)])


@router.put("/subscriptions/{subscription_id}/status")
async def set_status(
    subscription_id: uuid.UUID, body: StatusUpdate, caller: Caller, ctx: Context
) -> Response:
    """The holder ends a subscription; only a store receipt starts or renews one."""
    try:
        saved = await ctx.run(ctx.application.end_subscription, subscription_id, caller.sub,
                              body.status, ctx.now())  # fmt: skip
    except NotYours:
        raise ApiError(404, "Subscription not found") from None
    except StatusRefused:
        message = "Only a verified store receipt can make a subscription active"
        raise invalid("status", message) from None
    await ctx.caught_up(saved.position, projection=PROJECTION)
    return ok(shown(row_of(saved.subscription), ctx), headers=positioned(saved.position))


@router.get("/referral/code")
async def referral_code(caller: Caller, ctx: Context) -> Response:
    """The caller's referral code (issued on first use, the same ever after)."""
    code, position = await ctx.run(ctx.application.referral_code, caller.sub)
    return ok({"code": code}, headers=positioned(position))
