"""The BOLA cases of test_owasp_access.py: every gateway route with an id in its path, and how
its owner plants an object there (the structural guard there checks none is missing)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bench.receipts import encoded, random_spec
from services.auth.premium.verifier import LocalVerifier, local_key
from tests.e2e.conftest import Stack
from tests.e2e.owasp_support import JSON
from tests.helpers import wait_until

Planter = Callable[[Stack, dict[str, str], str], Awaitable[dict[str, str]]]


@dataclass(frozen=True)
class BolaCase:
    """An id-bearing route and how its owner creates an object there.

    ``plant(stack, owner_headers, marker)`` creates the owner's object with ``marker`` in it and
    returns the path parameters that address it. ``read`` (a GET template) proves after a
    foreign write that the owner's object is intact. ``caller_scoped`` marks parameters that
    name no object (e.g. ``{year}/{month}``): there B may get a 2xx, of B's own data only.
    """

    method: str
    path: str
    plant: Planter
    body: JSON | None = None
    read: str | None = None
    caller_scoped: bool = False
    #: The parameter whose value ``read`` must show (default: the marker).
    proof: str | None = None
    #: Text only the owner's answers show (then also what ``read`` and a caller-scoped owner's
    #: answer must show, and B's never), for objects that carry no marker of the owner's.
    owner_sees: str | None = None
    #: Whether a caller-scoped route is asked again as the owner (not for a write that would
    #: change the owner's object: ``read`` checks it instead).
    owner_check: bool = True


async def plant_transaction(stack: Stack, headers: dict[str, str], marker: str) -> dict[str, str]:
    """The owner records a transaction described by ``marker``."""
    answer = await stack.client.post(
        "/api/transactions",
        json={"amount": 12.34, "category": "food", "description": marker},
        headers=headers,
    )
    assert answer.status_code == 201, answer.text
    return {"transaction_id": answer.json()["data"]["id"]}


async def plant_onboarding(stack: Stack, headers: dict[str, str], marker: str) -> dict[str, str]:
    """The owner onboards (amounts are the owner's data) and addresses this month's calendar."""
    answer = await stack.client.post(
        "/api/onboarding/submit",
        json={"income": {"monthly_income": 3917.13}, "fixed_expenses": {marker: 911.07}},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    today = dt.date.today()
    # A named fixed expense is due on day 5 (budget-engine.md), so that day shows it.
    return {"year": str(today.year), "month": str(today.month), "day": "5"}


TRANSACTION = "/api/transactions/{transaction_id}"


async def plant_account(stack: Stack, headers: dict[str, str], marker: str) -> dict[str, str]:
    """The owner's account, with a transaction described by ``marker``: admin routes name
    it by id (a user calling them is refused; the owner's data and tokens stay intact)."""
    await plant_transaction(stack, headers, marker)
    me = await stack.client.get("/api/users/me", headers=headers)
    assert me.status_code == 200, me.text
    return {"user_id": me.json()["data"]["id"]}


async def plant_operations(stack: Stack, headers: dict[str, str], marker: str) -> dict[str, str]:
    """Operators' objects (a projection, a scratch name, a dead letter's coordinates), with the
    owner's transaction as the data a foreign call must not show."""
    await plant_transaction(stack, headers, marker)
    return {"name": "ledger_transactions", "projection": "ledger_transactions",
            "service": "ledger", "position": "1"}  # fmt: skip


# Every gateway route with a {param} must have a case here (see the structural guard below).
async def plant_receipt(stack: Stack, headers: dict[str, str], marker: str) -> dict[str, str]:
    """The owner uploads a receipt photo (the job is queued; the marker names the file)."""
    image = encoded(random_spec(random.Random(1), "en"))
    answer = await stack.client.post(
        "/api/ocr/process", files={"receipt": (f"{marker}.jpg", image, "application/octet-stream")},
        headers=headers,
    )  # fmt: skip
    assert answer.status_code == 202, answer.text
    job = answer.json()["data"]["job_id"]
    return {"job_id": job, "receipt_id": job}


async def plant_usage(stack: Stack, headers: dict[str, str], marker: str) -> dict[str, str]:
    """The owner uses a feature named by the marker; the path names the owner and feature."""
    answer = await stack.client.post(
        "/api/analytics/feature-usage", json={"feature": marker}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    me = await stack.client.get("/api/users/me", headers=headers)
    return {"user_id": me.json()["data"]["id"], "feature": marker}


async def plant_merchant(stack: Stack, headers: dict[str, str], marker: str) -> dict[str, str]:
    """The owner buys groceries at a merchant named by the marker (a slug), visible to the
    owner's category insights before the case runs."""
    slug = marker.replace("-", "_")
    body = {"amount": 23.45, "category": "groceries", "merchant": slug}
    answer = await stack.client.post("/api/transactions", json=body, headers=headers)
    assert answer.status_code == 201, answer.text

    async def visible() -> bool:
        seen = await stack.client.get("/api/behavior/category/groceries", headers=headers)
        return slug in seen.text

    await wait_until(visible, 30, "the owner's category insights")
    return {"category": "groceries"}


async def plant_goal(stack: Stack, headers: dict[str, str], marker: str) -> dict[str, str]:
    """The owner creates a goal titled by the marker."""
    body = {"title": marker, "description": "", "category": "Travel", "target_amount": 900.0,
            "saved_amount": 0, "monthly_contribution": 50.0, "priority": "medium",
            "target_date": None}  # fmt: skip
    answer = await stack.client.post("/api/goals/", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return {"goal_id": answer.json()["data"]["id"]}


async def plant_installment(stack: Stack, headers: dict[str, str], marker: str) -> dict[str, str]:
    """The owner tracks an installment named by the marker, first paid today (UTC)."""
    today = dt.datetime.now(dt.UTC).date()
    body = {"id": "", "user_id": "", "item_name": marker, "category": "electronics",
            "total_amount": 600.0, "payment_amount": 100.0, "interest_rate": 0.0,
            "total_payments": 6, "payments_made": 0, "payment_frequency": "monthly",
            "first_payment_date": f"{today.isoformat()}T00:00:00.000",
            "status": "active"}  # fmt: skip
    answer = await stack.client.post("/api/installments", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return {"installment_id": answer.json()["id"], "year": str(today.year),
            "month": str(today.month)}  # fmt: skip


async def plant_installment_slug(
    stack: Stack, headers: dict[str, str], marker: str
) -> dict[str, str]:
    """An installment named by the marker as a slug (the month calendar shows it)."""
    return await plant_installment(stack, headers, marker.replace("-", "_"))


async def plant_habit(stack: Stack, headers: dict[str, str], marker: str) -> dict[str, str]:
    """The owner creates a habit titled by the marker (habits_screen.dart:207)."""
    body = {"title": marker, "description": "", "target_frequency": "daily"}
    answer = await stack.client.post("/api/habits/", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return {"habit_id": answer.json()["data"]["id"]}


async def plant_challenge(stack: Stack, headers: dict[str, str], marker: str) -> dict[str, str]:
    """The owner joins the no-coffee fortnight and fails it with a coffee (challenges_screen
    .dart:585): a state no other user's attempt has."""
    joined = await stack.client.post("/api/challenge/no_coffee_14/join", headers=headers)
    assert joined.status_code == 200, joined.text
    coffee = {"amount": 3.2, "category": "coffee", "description": marker}
    answer = await stack.client.post("/api/transactions/", json=coffee, headers=headers)
    assert answer.status_code == 201, answer.text
    return {"challenge_id": "no_coffee_14"}


async def plant_subscription(stack: Stack, headers: dict[str, str], marker: str) -> dict[str, str]:
    """The owner buys premium with a receipt of the local test store (iap_service.dart:246)."""
    now = dt.datetime.now(dt.UTC)
    store = LocalVerifier(local_key(stack.auth_settings.iap_local_key_secret()))
    receipt = store.issue(platform="ios", transaction_id=marker, product_id=marker,
                          purchased_at=now, expires_at=now + dt.timedelta(days=30))  # fmt: skip
    answer = await stack.client.post(
        "/api/iap/validate", json={"receipt": receipt, "platform": "ios"}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    me = await stack.client.get("/api/users/me", headers=headers)
    return {"user_id": me.json()["data"]["id"],
            "subscription_id": answer.json()["subscription"]["subscription_id"]}  # fmt: skip


async def plant_notification(stack: Stack, headers: dict[str, str], marker: str) -> dict[str, str]:
    """The owner reaches a goal titled by the marker; its "Goal reached" notification."""
    goal = (await plant_goal(stack, headers, marker))["goal_id"]
    done = await stack.client.post(f"/api/goals/{goal}/complete", headers=headers)
    assert done.status_code == 200, done.text
    found: list[str] = []

    async def raised() -> bool:
        page = await stack.client.get("/api/notifications/list", headers=headers)
        found[:] = [n["id"] for n in page.json()["notifications"]]
        return bool(found)

    await wait_until(raised, 30, "the goal's notification")
    return {"notification_id": found[0]}


HABIT = "/api/habits/{habit_id}"
NOTIFICATION = "/api/notifications/{notification_id}"
OWNER = "/api/users/{user_id}"
CHALLENGE = "/api/challenge/{challenge_id}"
FAILED = '"status":"failed"'
INSTALLMENT = "/api/installments/{installment_id}"
ADMIN_USER = "/api/admin/users/{user_id}"
GOAL = "/api/goals/{goal_id}"
GOAL_FORM = {"title": "overwritten", "target_amount": 1.0}
RECEIPT_IMAGE = "/api/transactions/receipt/{receipt_id}/image"
BOLA_CASES: tuple[BolaCase, ...] = (
    BolaCase("GET", TRANSACTION, plant_transaction),
    BolaCase(
        "PUT",
        TRANSACTION,
        plant_transaction,
        body={"amount": 1, "description": "overwritten"},
        read=TRANSACTION,
    ),
    BolaCase("DELETE", TRANSACTION, plant_transaction, read=TRANSACTION),
    # Calendar paths name a month, not an object: B gets B's own (empty) calendar, never A's.
    BolaCase("GET", "/api/calendar/saved/{year}/{month}", plant_onboarding, caller_scoped=True),
    BolaCase("GET", "/api/calendar/day/{year}/{month}/{day}", plant_onboarding, caller_scoped=True),
    BolaCase("GET", "/api/ocr/status/{job_id}", plant_receipt),
    BolaCase("GET", "/api/transactions/receipt/status/{job_id}", plant_receipt),
    BolaCase("GET", RECEIPT_IMAGE, plant_receipt),
    BolaCase("DELETE", RECEIPT_IMAGE, plant_receipt, read=RECEIPT_IMAGE, proof="receipt_id"),
    # Without the owner's signed link, nobody gets the image (403).
    BolaCase("GET", RECEIPT_IMAGE + "/file", plant_receipt),
    BolaCase("GET", "/api/analytics/feature-usage/{user_id}/{feature}", plant_usage),
    # A category names no object: B gets B's own (empty) figures for it, never A's.
    BolaCase("GET", "/api/behavior/category/{category}", plant_merchant, caller_scoped=True),
    BolaCase("GET", GOAL, plant_goal),
    BolaCase("GET", GOAL + "/health", plant_goal),
    BolaCase("PATCH", GOAL, plant_goal, body=GOAL_FORM, read=GOAL),
    BolaCase("DELETE", GOAL, plant_goal, read=GOAL),
    BolaCase("POST", GOAL + "/add_savings", plant_goal, body={"amount": 5}, read=GOAL),
    *(BolaCase("POST", f"{GOAL}/{action}", plant_goal, read=GOAL)
      for action in ("complete", "pause", "resume", "cancel")),
    BolaCase("PATCH", HABIT, plant_habit, body={"title": "overwritten"}, read="/api/habits"),
    BolaCase("DELETE", HABIT, plant_habit, read="/api/habits"),
    BolaCase("POST", HABIT + "/complete", plant_habit, body={"date": "2026-01-01"},
             read="/api/habits"),
    BolaCase("DELETE", HABIT + "/complete", plant_habit, body={"date": "2026-01-01"},
             read="/api/habits"),
    BolaCase("GET", HABIT + "/progress", plant_habit),
    # A challenge id names a catalogue entry: B gets B's own standing there, never A's.
    BolaCase("GET", CHALLENGE + "/progress", plant_challenge, caller_scoped=True,
             owner_sees=FAILED),
    BolaCase("PATCH", CHALLENGE + "/progress", plant_challenge, body={"current_progress": 14},
             caller_scoped=True, owner_sees=FAILED, read=CHALLENGE + "/progress"),
    BolaCase("POST", CHALLENGE + "/join", plant_challenge, caller_scoped=True, owner_check=False,
             owner_sees=FAILED, read=CHALLENGE + "/progress"),
    BolaCase("POST", CHALLENGE + "/leave", plant_challenge, owner_sees=FAILED,
             read=CHALLENGE + "/progress"),
    *(BolaCase("GET", f"{OWNER}/{what}", plant_subscription)
      for what in ("premium-status", "premium-features", "subscription-history")),
    BolaCase("PUT", "/api/subscriptions/{subscription_id}/status", plant_subscription,
             body={"status": "cancelled"}, read=OWNER + "/premium-status",
             owner_sees='"status":"active"'),
    BolaCase("GET", NOTIFICATION, plant_notification, proof="notification_id",
             read=NOTIFICATION),
    BolaCase("POST", NOTIFICATION + "/mark-read", plant_notification,
             owner_sees='"is_read":false', read=NOTIFICATION),
    BolaCase("DELETE", NOTIFICATION, plant_notification, proof="notification_id",
             read=NOTIFICATION),
    BolaCase("GET", INSTALLMENT, plant_installment),
    BolaCase("PATCH", INSTALLMENT, plant_installment, body={"notes": "overwritten",
             "status": "cancelled"}, read=INSTALLMENT),
    BolaCase("DELETE", INSTALLMENT, plant_installment, read=INSTALLMENT),
    # A month names no object: B gets B's own (empty) payment calendar, never A's.
    BolaCase("GET", "/api/installments/calendar/{year}/{month}", plant_installment_slug,
             caller_scoped=True),
    # Admin routes: a user naming another user's account (or an operator's object) is refused.
    BolaCase("GET", ADMIN_USER + "/budget", plant_account, read="/api/transactions"),
    BolaCase("POST", ADMIN_USER + "/lock", plant_account, body={"reason": "bola"},
             read="/api/transactions"),
    BolaCase("POST", ADMIN_USER + "/unlock", plant_account, read="/api/transactions"),
    BolaCase("POST", ADMIN_USER + "/revoke-tokens", plant_account, read="/api/transactions"),
    BolaCase("DELETE", "/api/admin/events/replay/{name}", plant_operations),
    BolaCase("POST", "/api/admin/projections/{name}/rebuild", plant_operations),
    BolaCase("GET", "/api/admin/projections/{name}/rebuild", plant_operations),
    BolaCase("POST", "/api/admin/dead-letters/{projection}/{service}/{position}/redrive",
             plant_operations, read="/api/transactions"),
)  # fmt: skip
