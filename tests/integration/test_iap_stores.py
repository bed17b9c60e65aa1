"""The store verifiers against local servers speaking their protocols: Apple's
``verifyReceipt`` (JSON in, ``status`` and ``latest_receipt_info`` out) and Google Play's
``purchases.subscriptionsv2.get`` (a GET with a bearer token), and the verifier settings."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from pydantic import SecretStr, ValidationError

from services.auth.main import make_verifier
from services.auth.premium.verifier import (
    AppStoreVerifier,
    ByPlatform,
    ForgedReceipt,
    GooglePlayVerifier,
    LocalVerifier,
    StoreUnavailable,
)
from services.auth.settings import AuthSettings
from shared.cipherkeys import new_key
from shared.settings import InsecureConfigurationError
from tests.json_server import json_server

GOOD = "MIIT-good-receipt"
SANDBOX = "MIIT-sandbox-receipt"
EXPIRES = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)


def ms(when: dt.datetime) -> str:
    """Apple's milliseconds-since-epoch strings."""
    return str(int(when.timestamp() * 1000))


def apple(sandbox: bool) -> Any:
    """Apple's answers: a good receipt, a sandbox one (21007 in production), else 21003."""
    seen: list[dict[str, Any]] = []

    def reply(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        seen.append(body)
        receipt = body["receipt-data"]
        if receipt == SANDBOX and not sandbox:
            return 200, {"status": 21007}
        if receipt not in (GOOD, SANDBOX) or body["password"] != "shared":
            return 200, {"status": 21003}
        older = {
            "product_id": "mita_monthly",
            "original_transaction_id": "1000",
            "transaction_id": "1001",
            "purchase_date_ms": ms(EXPIRES - dt.timedelta(60)),
            "expires_date_ms": ms(EXPIRES - dt.timedelta(30)),
            "is_trial_period": "true",
        }
        latest = {**older, "transaction_id": "1002", "is_trial_period": "false",
                  "purchase_date_ms": ms(EXPIRES - dt.timedelta(30)),
                  "expires_date_ms": ms(EXPIRES)}  # fmt: skip
        return 200, {"status": 0, "latest_receipt_info": [latest, older],
                     "pending_renewal_info": [{"original_transaction_id": "1000",
                                               "auto_renew_status": "1"}]}  # fmt: skip

    return reply, seen


async def test_a_receipt_apple_vouches_for_is_the_latest_transaction() -> None:
    reply, seen = apple(sandbox=False)
    with json_server(reply) as url:
        async with httpx.AsyncClient() as client:
            verifier = AppStoreVerifier(client, url, url, "shared")
            bought = await verifier.verify(GOOD, "ios")
    assert (bought.transaction_id, bought.product_id, bought.expires_at) == (
        "1000", "mita_monthly", EXPIRES,
    )  # fmt: skip
    assert (bought.auto_renew, bought.trial) == (True, False)
    assert seen == [{"receipt-data": GOOD, "password": "shared", "exclude-old-transactions": True}]


async def test_a_sandbox_receipt_is_asked_of_the_sandbox() -> None:
    production, asked_production = apple(sandbox=False)
    sandbox, asked_sandbox = apple(sandbox=True)
    with json_server(production) as prod_url, json_server(sandbox) as sandbox_url:
        async with httpx.AsyncClient() as client:
            bought = await AppStoreVerifier(client, prod_url, sandbox_url, "shared").verify(
                SANDBOX, "ios"
            )
    assert bought.expires_at == EXPIRES
    assert (len(asked_production), len(asked_sandbox)) == (1, 1)


@pytest.mark.parametrize(
    ("receipt", "platform", "refusal"),
    [("forged", "ios", ForgedReceipt), (GOOD, "android", ForgedReceipt)],
)
async def test_what_apple_refuses_is_refused(receipt: str, platform: str, refusal: type) -> None:
    reply, _ = apple(sandbox=False)
    with json_server(reply) as url:
        async with httpx.AsyncClient() as client:
            with pytest.raises(refusal):
                await AppStoreVerifier(client, url, url, "shared").verify(receipt, platform)


async def test_an_unreachable_or_failing_store_is_unavailable_not_valid() -> None:
    with json_server(lambda body: (503, {})) as url:
        async with httpx.AsyncClient() as client:
            with pytest.raises(StoreUnavailable):
                await AppStoreVerifier(client, url, url, "shared").verify(GOOD, "ios")
    async with httpx.AsyncClient() as client:
        closed = "http://127.0.0.1:9/verifyReceipt"
        with pytest.raises(StoreUnavailable):
            await AppStoreVerifier(client, closed, closed, "shared").verify(GOOD, "ios")


async def test_settings_pick_the_verifier_and_prod_refuses_the_test_store() -> None:
    async with httpx.AsyncClient() as client:
        assert isinstance(make_verifier(AuthSettings(), client), LocalVerifier)
        stores = AuthSettings(iap_verifier="stores", app_store_shared_secret=SecretStr("s"),
                              google_play_package="app.mita")  # fmt: skip
        chosen = make_verifier(stores, client)
        assert isinstance(chosen, ByPlatform)
        assert isinstance(chosen.ios, AppStoreVerifier)
        assert isinstance(chosen.android, GooglePlayVerifier)
    with pytest.raises(ValidationError, match="MITA_APP_STORE_SHARED_SECRET"):
        AuthSettings(iap_verifier="stores", google_play_package="app.mita")
    with pytest.raises(ValidationError, match="MITA_GOOGLE_PLAY_PACKAGE"):
        AuthSettings(iap_verifier="stores", app_store_shared_secret=SecretStr("s"))
    with pytest.raises((InsecureConfigurationError, ValidationError), match="test store"):
        AuthSettings(environment="prod", secret_key=SecretStr("x" * 40),
                     database_url="postgresql://db/mita", kafka_bootstrap="k:9092",
                     redis_url="redis://r:6379/0", cipher_key=SecretStr(new_key()))  # fmt: skip


@contextlib.contextmanager
def google_play(
    answers: dict[str, tuple[int, dict[str, Any]]], seen: list[tuple[str, str]]
) -> Iterator[str]:
    """Android Publisher's subscriptionsv2.get: the answer for each purchase token."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            token = self.path.rsplit("/", 1)[-1]
            seen.append((self.path, self.headers.get("authorization", "")))
            status, body = answers.get(token, (404, {"error": {"code": 404}}))
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


PAID = {
    "subscriptionState": "SUBSCRIPTION_STATE_ACTIVE", "latestOrderId": "GPA.1234-5678..3",
    "startTime": "2026-11-01T10:00:00Z",
    "lineItems": [
        {"productId": "mita_monthly", "expiryTime": "2026-12-01T10:00:00Z"},
        {"productId": "mita_monthly", "expiryTime": "2027-01-01T10:00:00Z",
         "autoRenewingPlan": {"autoRenewEnabled": True}},
    ],
}  # fmt: skip


async def test_google_play_vouches_for_a_paid_purchase_token() -> None:
    seen: list[tuple[str, str]] = []
    answers = {"paid": (200, PAID),
               "pending": (200, {**PAID, "subscriptionState": "SUBSCRIPTION_STATE_PENDING"}),
               "busy": (503, {})}  # fmt: skip
    with google_play(answers, seen) as url:
        async with httpx.AsyncClient() as client:
            play = GooglePlayVerifier(client, url, "app.mita", lambda: "oauth-token")
            bought = await play.verify("paid", "android")
            for token, refusal in (("forged", ForgedReceipt), ("pending", ForgedReceipt),
                                   ("busy", StoreUnavailable)):  # fmt: skip
                with pytest.raises(refusal):
                    await play.verify(token, "android")
            with pytest.raises(ForgedReceipt):
                await play.verify("paid", "ios")
    assert (bought.transaction_id, bought.product_id, bought.auto_renew) == (
        "GPA.1234-5678", "mita_monthly", True,
    )  # fmt: skip
    assert bought.expires_at == dt.datetime(2027, 1, 1, 10, tzinfo=dt.UTC)
    assert seen[0] == (
        "/androidpublisher/v3/applications/app.mita/purchases/subscriptionsv2/tokens/paid",
        "Bearer oauth-token",
    )
