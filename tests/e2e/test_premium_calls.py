"""Premium, purchases and referral codes through the gateway with the app's exact payloads
(iap_service.dart, api_service.dart:2087, 2170, 4306-4530): receipts the local test store
signed are recorded, forged ones refused; ``is_premium`` follows verified receipts only."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from typing import Any

import httpx

from services.auth.premium.verifier import LocalVerifier, local_key
from tests.e2e.conftest import Stack
from tests.e2e.owasp_support import assert_error


def data(answer: httpx.Response, status: int = 200) -> Any:
    """The envelope's data."""
    assert answer.status_code == status, answer.text
    return answer.json()["data"]


def store(stack: Stack) -> LocalVerifier:
    """The local test store of this deployment (its key derives from the auth settings)."""
    return LocalVerifier(local_key(stack.auth_settings.iap_local_key_secret()))


def receipt(stack: Stack, *, days: int = 30, transaction: str | None = None,
            platform: str = "ios") -> str:  # fmt: skip
    """A receipt the test store signed for a monthly subscription."""
    now = dt.datetime.now(dt.UTC)
    return store(stack).issue(
        platform=platform, transaction_id=transaction or uuid.uuid4().hex,
        product_id="mita_premium_monthly", purchased_at=now - dt.timedelta(days=1),
        expires_at=now + dt.timedelta(days=days),
    )  # fmt: skip


async def test_a_purchase_from_receipt_to_cancellation(roomy_stack: Stack) -> None:
    stack, client = roomy_stack, roomy_stack.client
    me = await stack.register()
    headers, user_id = stack.bearer(me["access_token"]), me["user"]["id"]
    status_path = f"/api/users/{user_id}/premium-status"
    before = data(await client.get(status_path, headers=headers))
    assert before == {"is_premium": False, "subscription": None}
    features = data(await client.get(f"/api/users/{user_id}/premium-features", headers=headers))
    assert features == {"is_premium": False, "features": []}

    # _validatePurchase: {user_id, receipt, platform}; the app caches the raw body.
    transaction = uuid.uuid4().hex
    body = {"user_id": str(uuid.uuid4()), "receipt": receipt(stack, transaction=transaction),
            "platform": "ios"}  # fmt: skip
    answer = await client.post("/api/iap/validate", json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    validated = answer.json()
    assert (validated["status"], validated["is_premium"]) == ("valid", True)
    sub = validated["subscription"]
    assert (sub["product_id"], sub["status"], sub["platform"]) == (
        "mita_premium_monthly", "active", "ios",
    )  # fmt: skip
    assert sub["auto_renew"] is True
    now = data(await client.get(status_path, headers=headers))
    assert now["is_premium"] is True
    assert now["subscription"]["subscription_id"] == sub["subscription_id"]
    unlocked = data(await client.get(f"/api/users/{user_id}/premium-features", headers=headers))
    assert "advanced_ocr" in unlocked["features"]
    assert data(await client.get("/api/users/me", headers=headers))["is_premium"] is True

    # The same receipt again changes nothing; a renewal extends it.
    again = await client.post("/api/iap/validate", json=body, headers=headers)
    assert again.json()["subscription"] == sub
    renewed = {**body, "receipt": receipt(stack, days=60, transaction=transaction)}
    longer = (await client.post("/api/iap/validate", json=renewed, headers=headers)).json()
    assert longer["subscription"]["expires_at"] > sub["expires_at"]
    history = data(await client.get(f"/api/users/{user_id}/subscription-history",
                                    headers=headers))  # fmt: skip
    assert [h["subscription_id"] for h in history] == [sub["subscription_id"]]

    # updateSubscriptionStatus: the client may end it, never activate it.
    put = f"/api/subscriptions/{sub['subscription_id']}/status"
    update = {"user_id": user_id, "status": "active", "metadata": None, "updated_by": "mobile_app",
              "expires_at": (dt.datetime.now() + dt.timedelta(days=3650)).isoformat()}  # fmt: skip
    assert_error(await client.put(put, json=update, headers=headers), 422)
    ended = data(await client.put(put, json={**update, "status": "cancelled"}, headers=headers))
    assert (ended["status"], ended["auto_renew"]) == ("cancelled", False)
    assert ended["expires_at"] == longer["subscription"]["expires_at"]  # not the client's
    assert data(await client.get(status_path, headers=headers))["is_premium"] is False
    assert data(await client.get("/api/users/me", headers=headers))["is_premium"] is False


async def test_forged_and_foreign_receipts_are_refused(roomy_stack: Stack) -> None:
    stack, client = roomy_stack, roomy_stack.client
    owner, other = await stack.register(), await stack.register()
    mine, theirs = stack.bearer(owner["access_token"]), stack.bearer(other["access_token"])
    genuine = receipt(stack)
    head, _, mac = genuine.partition(".")
    claims = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    claims["expires_at"] = "2099-01-01T00:00:00+00:00"
    tampered = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    forgeries = [
        f"{tampered}.{mac}",  # a longer entitlement under the old signature
        "not-a-receipt",
        LocalVerifier(b"another store's key").issue(
            platform="ios",
            transaction_id="x",
            product_id="p",
            purchased_at=dt.datetime.now(dt.UTC),
            expires_at=dt.datetime(2099, 1, 1, tzinfo=dt.UTC),
        ),
    ]
    for forged in forgeries:
        answer = await client.post("/api/iap/validate", headers=mine,
                                   json={"receipt": forged, "platform": "ios"})  # fmt: skip
        assert_error(answer, 422)
    android = {"receipt": genuine, "platform": "android"}
    wrong_platform = await client.post("/api/iap/validate", headers=mine, json=android)
    assert_error(wrong_platform, 422)
    user_id = owner["user"]["id"]
    assert (
        data(await client.get(f"/api/users/{user_id}/premium-status", headers=mine))["is_premium"]
        is False
    )
    # Owner buys; the other account cannot claim the same store transaction or touch it.
    bought = await client.post("/api/iap/validate", headers=mine,
                               json={"receipt": genuine, "platform": "ios"})  # fmt: skip
    sub_id = bought.json()["subscription"]["subscription_id"]
    stolen = await client.post("/api/iap/validate", headers=theirs,
                               json={"receipt": genuine, "platform": "ios"})  # fmt: skip
    assert_error(stolen, 409)
    for path in ("premium-status", "premium-features", "subscription-history"):
        assert_error(await client.get(f"/api/users/{user_id}/{path}", headers=theirs), 404)
    cancel = await client.put(f"/api/subscriptions/{sub_id}/status", headers=theirs,
                              json={"status": "cancelled"})  # fmt: skip
    assert_error(cancel, 404)
    still = data(await client.get(f"/api/users/{user_id}/premium-status", headers=mine))
    assert still["subscription"]["status"] == "active"


async def test_the_referral_code_is_stable_and_personal(roomy_stack: Stack) -> None:
    stack, client = roomy_stack, roomy_stack.client
    a, b = await stack.register(), await stack.register()
    first = data(await client.get("/api/referral/code", headers=stack.bearer(a["access_token"])))
    again = data(await client.get("/api/referral/code", headers=stack.bearer(a["access_token"])))
    theirs = data(await client.get("/api/referral/code", headers=stack.bearer(b["access_token"])))
    assert first == again
    assert len(first["code"]) == 10
    assert theirs["code"] != first["code"]
