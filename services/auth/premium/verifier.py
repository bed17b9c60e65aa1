"""Store receipt verification behind one interface: the App Store's ``verifyReceipt`` and
Google Play's Android Publisher API when configured, else a local test store whose receipts are
signed with a key of ours. None ever says "valid" for a receipt it could not check: a forged or
unreadable receipt is refused."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

import httpx

LOCAL_KEY_LABEL = b"mita-iap-local-store"


class ForgedReceipt(Exception):
    """The receipt is not one the store issued (or not for this platform)."""


class StoreUnavailable(Exception):
    """The store could not be asked (network, 5xx): try again later."""


@dataclass(frozen=True)
class Purchase:
    """What a verified receipt says: the store's transaction, product and entitlement."""

    transaction_id: str
    product_id: str
    purchased_at: dt.datetime
    expires_at: dt.datetime
    auto_renew: bool
    trial: bool


class Verifier(Protocol):
    """Checks a receipt with the store that issued it."""

    async def verify(self, receipt: str, platform: str) -> Purchase:
        """The purchase the receipt proves (ForgedReceipt, StoreUnavailable)."""
        ...


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def local_key(secret: str) -> bytes:
    """The local store's signing key, derived from a configured secret."""
    return hmac.new(secret.encode(), LOCAL_KEY_LABEL, hashlib.sha256).digest()


class LocalVerifier:
    """The local test store: a receipt is ``base64url(JSON) "." base64url(HMAC-SHA256)`` under
    a key only this deployment has (``mita iap-receipt`` issues one)."""

    def __init__(self, key: bytes) -> None:
        self.key = key

    def issue(self, *, platform: str, transaction_id: str, product_id: str,
              purchased_at: dt.datetime, expires_at: dt.datetime, auto_renew: bool = True,
              trial: bool = False) -> str:  # fmt: skip
        """A signed receipt (the test store's side)."""
        body = json.dumps(
            {"platform": platform, "transaction_id": transaction_id, "product_id": product_id,
             "purchased_at": purchased_at.isoformat(), "expires_at": expires_at.isoformat(),
             "auto_renew": auto_renew, "trial": trial}, separators=(",", ":"), sort_keys=True,
        ).encode()  # fmt: skip
        return f"{_b64(body)}.{_b64(hmac.new(self.key, body, hashlib.sha256).digest())}"

    async def verify(self, receipt: str, platform: str) -> Purchase:
        """Check the signature, then read the purchase."""
        try:
            head, _, mac = receipt.partition(".")
            body, signature = _unb64(head), _unb64(mac)
        except (ValueError, TypeError):
            raise ForgedReceipt("the receipt is not one this store issued") from None
        expected = hmac.new(self.key, body, hashlib.sha256).digest()
        if not mac or not hmac.compare_digest(signature, expected):
            raise ForgedReceipt("the receipt is not one this store issued")
        data: dict[str, Any] = json.loads(body)
        if data.get("platform") != platform:
            raise ForgedReceipt(f"the receipt is not for {platform}")
        return Purchase(
            transaction_id=str(data["transaction_id"]),
            product_id=str(data["product_id"]),
            purchased_at=dt.datetime.fromisoformat(data["purchased_at"]),
            expires_at=dt.datetime.fromisoformat(data["expires_at"]),
            auto_renew=bool(data["auto_renew"]),
            trial=bool(data["trial"]),
        )


def _ms(value: Any) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(value) / 1000, dt.UTC)


class AppStoreVerifier:
    """Apple's ``verifyReceipt``: production first, the sandbox when Apple says the receipt is a
    sandbox one (status 21007). Android receipts are not the App Store's."""

    SANDBOX_RECEIPT = 21007

    def __init__(self, client: httpx.AsyncClient, url: str, sandbox_url: str,
                 shared_secret: str) -> None:  # fmt: skip
        self.client, self.url, self.sandbox_url = client, url, sandbox_url
        self.shared_secret = shared_secret

    async def _ask(self, url: str, receipt: str) -> dict[str, Any]:
        body = {"receipt-data": receipt, "password": self.shared_secret,
                "exclude-old-transactions": True}  # fmt: skip
        try:
            answer = await self.client.post(url, json=body)
        except httpx.HTTPError as exc:
            raise StoreUnavailable(f"the App Store did not answer: {exc!r}") from exc
        if answer.status_code >= 500:
            raise StoreUnavailable(f"the App Store answered {answer.status_code}")
        try:
            data: dict[str, Any] = answer.json()
        except ValueError:
            raise StoreUnavailable("the App Store answered something other than JSON") from None
        return data

    async def verify(self, receipt: str, platform: str) -> Purchase:
        """Ask Apple; the latest transaction of the receipt is the entitlement."""
        if platform != "ios":
            raise ForgedReceipt("only App Store receipts can be verified here")
        data = await self._ask(self.url, receipt)
        if data.get("status") == self.SANDBOX_RECEIPT:
            data = await self._ask(self.sandbox_url, receipt)
        status = data.get("status")
        if status != 0:
            raise ForgedReceipt(f"the App Store refused the receipt (status {status})")
        items = data.get("latest_receipt_info") or data.get("receipt", {}).get("in_app") or []
        if not items:
            raise ForgedReceipt("the receipt holds no subscription")
        latest = max(items, key=lambda i: int(i.get("expires_date_ms") or 0))
        pending = data.get("pending_renewal_info", [])
        renewal = {r.get("original_transaction_id"): r for r in pending}
        original = str(latest.get("original_transaction_id") or latest["transaction_id"])
        return Purchase(
            transaction_id=original,
            product_id=str(latest["product_id"]),
            purchased_at=_ms(latest["purchase_date_ms"]),
            expires_at=_ms(latest["expires_date_ms"]),
            auto_renew=renewal.get(original, {}).get("auto_renew_status") == "1",
            trial=latest.get("is_trial_period") == "true",
        )


def _rfc3339(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


class GooglePlayVerifier:
    """Google Play's Android Publisher API (``purchases.subscriptionsv2.get``): the app's
    receipt is the purchase token; the answer's latest line item is the entitlement. iOS
    receipts are not Google Play's."""

    PAID = ("SUBSCRIPTION_STATE_ACTIVE", "SUBSCRIPTION_STATE_IN_GRACE_PERIOD",
            "SUBSCRIPTION_STATE_CANCELED", "SUBSCRIPTION_STATE_EXPIRED",
            "SUBSCRIPTION_STATE_ON_HOLD", "SUBSCRIPTION_STATE_PAUSED")  # fmt: skip

    def __init__(self, client: httpx.AsyncClient, base_url: str, package: str,
                 bearer: Callable[[], str]) -> None:  # fmt: skip
        self.client, self.base_url, self.package, self.bearer = client, base_url, package, bearer

    async def verify(self, receipt: str, platform: str) -> Purchase:
        """Ask Google for the purchase token's subscription."""
        if platform != "android":
            raise ForgedReceipt("only Google Play purchase tokens can be verified here")
        url = (f"{self.base_url.rstrip('/')}/androidpublisher/v3/applications/{self.package}"
               f"/purchases/subscriptionsv2/tokens/{quote(receipt, safe='')}")  # fmt: skip
        try:
            token = await asyncio.to_thread(self.bearer)
            answer = await self.client.get(url, headers={"Authorization": f"Bearer {token}"})
        except Exception as exc:  # network, or the credentials could not be refreshed
            raise StoreUnavailable(f"Google Play did not answer: {exc!r}") from exc
        if answer.status_code in (400, 404, 410):
            raise ForgedReceipt("Google Play does not know this purchase")
        if answer.status_code != 200:
            raise StoreUnavailable(f"Google Play answered {answer.status_code}")
        data: dict[str, Any] = answer.json()
        items = data.get("lineItems") or []
        if data.get("subscriptionState") not in self.PAID or not items:
            raise ForgedReceipt("the purchase is not paid for")
        latest = max(items, key=lambda i: str(i.get("expiryTime") or ""))
        order = str(data.get("latestOrderId") or "").split("..")[0]
        return Purchase(
            transaction_id=order or hashlib.sha256(receipt.encode()).hexdigest()[:32],
            product_id=str(latest["productId"]),
            purchased_at=_rfc3339(data.get("startTime") or latest["expiryTime"]),
            expires_at=_rfc3339(latest["expiryTime"]),
            auto_renew=bool((latest.get("autoRenewingPlan") or {}).get("autoRenewEnabled")),
            trial=False,
        )


class ByPlatform:
    """The App Store for iOS receipts, Google Play for Android purchase tokens."""

    def __init__(self, ios: Verifier, android: Verifier) -> None:
        self.ios, self.android = ios, android

    async def verify(self, receipt: str, platform: str) -> Purchase:
        """Ask the store of the receipt's platform."""
        return await (self.ios if platform == "ios" else self.android).verify(receipt, platform)


def google_bearer(credentials_file: str) -> Callable[[], str]:
    """A fresh OAuth token for the Android Publisher API (a service account, else ADC),
    loaded on first use: a process starts without asking Google anything."""
    held: list[Any] = []

    def token() -> str:
        import google.auth
        import google.auth.transport.requests
        from google.oauth2 import service_account

        scopes = ["https://www.googleapis.com/auth/androidpublisher"]
        if not held:
            if credentials_file:
                held.append(
                    service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
                        credentials_file, scopes=scopes
                    )
                )
            else:
                held.append(google.auth.default(scopes=scopes)[0])
        creds = held[0]
        if not creds.valid:
            creds.refresh(google.auth.transport.requests.Request())
        return str(creds.token)

    return token
