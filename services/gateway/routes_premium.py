"""Public premium, purchase and referral routes, served by the auth context: receipt validation
(a raw answer: the app caches the body and reads ``subscription``), the caller's own premium
status, features and history (another user's id is a 404), ending a subscription and the
referral code (api_service.dart:2087, 2170, 4306-4530)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from starlette.responses import Response

from contracts import premium as pr
from contracts.envelope import Envelope as E
from services.gateway.deps import ProfileReader, ProfileWriter, Services
from services.gateway.routing import body, slash_tolerant

router = APIRouter(prefix="/api", redirect_slashes=False)
route = slash_tolerant(router)
TAGS = ["premium"]
USER = "/users/{user_id}"


@route("POST", "/iap/validate", tags=TAGS, response_model=pr.Validated)
async def validate(
    payload: pr.ValidateReceipt, _: ProfileWriter, request: Request, up: Services
) -> Response:
    """Verify a store receipt and record the purchase (a forged one is a 422)."""
    return await up.forward("auth", request, "/iap/validate", json=body(payload), params={})


@route("GET", USER + "/premium-status", tags=TAGS, response_model=E[pr.PremiumStatus])
async def premium_status(
    user_id: uuid.UUID, _: ProfileReader, request: Request, up: Services
) -> Response:
    """Whether the caller is premium, and the subscription that says so."""
    return await up.forward("auth", request, f"/users/{user_id}/premium-status", params={})


@route("GET", USER + "/premium-features", tags=TAGS, response_model=E[pr.PremiumFeatures])
async def premium_features(
    user_id: uuid.UUID, _: ProfileReader, request: Request, up: Services
) -> Response:
    """The premium features the caller has now."""
    return await up.forward("auth", request, f"/users/{user_id}/premium-features", params={})


@route("GET", USER + "/subscription-history", tags=TAGS,
       response_model=E[list[pr.SubscriptionOut]])  # fmt: skip
async def subscription_history(
    user_id: uuid.UUID, _: ProfileReader, request: Request, up: Services
) -> Response:
    """Every subscription the caller held, newest first."""
    return await up.forward("auth", request, f"/users/{user_id}/subscription-history",
                            params={})  # fmt: skip


@route("PUT", "/subscriptions/{subscription_id}/status", tags=TAGS,
       response_model=E[pr.SubscriptionOut])  # fmt: skip
async def subscription_status(
    subscription_id: uuid.UUID,
    payload: pr.StatusUpdate,
    _: ProfileWriter,
    request: Request,
    up: Services,
) -> Response:
    """End the caller's subscription (``cancelled``/``expired``; only a receipt activates)."""
    path = f"/subscriptions/{subscription_id}/status"
    return await up.forward("auth", request, path, json=body(payload), params={})


@route("GET", "/referral/code", tags=TAGS, response_model=E[pr.ReferralCode])
async def referral_code(_: ProfileReader, request: Request, up: Services) -> Response:
    """The caller's referral code (the same every time)."""
    return await up.forward("auth", request, "/referral/code", params={})
