"""OWASP API Top 10 through the gateway: broken object-level authorization (API1), mass
assignment (API3) and broken function-level authorization (API5).

BOLA has a structural guard (every route with an id in its path needs a ``BolaCase``); the
scope matrix walks every protected operation in ``ROUTE_ACCESS`` (owasp_support.py) with no
token, a scopeless token, a user token and an admin token, each forged with the real secret.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio

from bench.receipts import encoded, random_spec
from shared import tokens
from tests.conftest import Infra
from tests.e2e.conftest import STRONG_PASSWORD, Stack
from tests.e2e.owasp_support import (
    ANY_SCOPE,
    JSON,
    PUBLIC,
    ROUTE_ACCESS,
    Env,
    assert_error,
    b64,
    forge,
    me_with,
    open_env,
    operations,
    payload_of,
)
from tests.helpers import wait_until


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def env(infra: Infra) -> AsyncIterator[Env]:
    """One stack for the module (every test registers its own users)."""
    async with open_env(infra) as shared:
        yield shared


# -- API1: broken object-level authorization -----------------------------------------------

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
)  # fmt: skip


async def test_every_route_with_an_id_has_a_bola_case(env: Env) -> None:
    """Structural guard: every documented operation whose path has a ``{param}`` is in BOLA_CASES.

    Object ids in paths are where BOLA lives (e.g. ``/api/transactions/{transaction_id}``):
    when a route with one is added without a case, this test fails until a BolaCase is
    written, and ``test_bola_foreign_object_is_invisible`` then runs it.
    """
    answer = await env.stack.client.get("/openapi.json")
    assert answer.status_code == 200
    documented = operations(answer.json())
    assert documented, "the OpenAPI document lists no operations"
    with_ids = {(m, p) for m, p in documented if re.search(r"\{[^}]+\}", p)}
    covered = {(c.method, c.path) for c in BOLA_CASES}
    assert with_ids <= covered, f"routes with ids but no BOLA case: {sorted(with_ids - covered)}"
    assert covered <= documented, f"stale BOLA cases: {sorted(covered - documented)}"


@pytest.mark.parametrize("case", BOLA_CASES, ids=[f"{c.method} {c.path}" for c in BOLA_CASES])
async def test_bola_foreign_object_is_invisible(env: Env, case: BolaCase) -> None:
    """B addressing A's object: no 2xx, never A's data; A's object survives B's writes."""
    stack = env.stack
    owner, other = await stack.register(), await stack.register()
    owner_headers = stack.bearer(owner["access_token"])
    marker = f"bola-{uuid.uuid4().hex}"
    params = await case.plant(stack, owner_headers, marker)
    url = case.path.format(**params)
    foreign = await stack.client.request(
        case.method, url, json=case.body, headers=stack.bearer(other["access_token"])
    )
    if case.caller_scoped:
        assert foreign.status_code < 500, foreign.text
    else:
        assert foreign.status_code in (403, 404), foreign.text
    assert marker not in foreign.text
    assert marker.replace("-", "_") not in foreign.text  # as a slug (e.g. a category name)
    if case.caller_scoped:
        own = await stack.client.request(case.method, url, headers=owner_headers)
        assert own.status_code == 200, own.text
        assert marker.replace("-", "_") in own.text, "the owner does see the planted data"
    if case.read is not None:
        kept = await stack.client.get(case.read.format(**params), headers=owner_headers)
        assert kept.status_code == 200, kept.text
        assert (params[case.proof] if case.proof else marker) in kept.text


async def test_id_less_resources_answer_the_callers_own_data(env: Env) -> None:
    """/users/me and /auth/security-status: B always sees B, whatever ids B adds."""
    stack = env.stack
    a, b = await stack.register(), await stack.register()
    a_id, b_id = a["user"]["id"], b["user"]["id"]
    marker = f"Alice {uuid.uuid4().hex[:8]}"
    patched = await stack.client.patch(
        "/api/users/me", json={"name": marker}, headers=stack.bearer(a["access_token"])
    )
    assert patched.status_code == 200, patched.text
    smuggled = {"Authorization": f"Bearer {b['access_token']}", "X-User-Id": a_id}
    for params in ({}, {"user_id": a_id, "id": a_id, "sub": a_id}):
        me = await stack.client.get("/api/users/me", params=params, headers=smuggled)
        assert me.status_code == 200, me.text
        assert me.json()["data"]["id"] == b_id
        assert me.json()["data"]["email"] == b["email"]
        for leak in (a_id, a["email"], marker):
            assert leak not in me.text
        status = await stack.client.get(
            "/api/auth/security-status", params=params, headers=smuggled
        )
        assert status.status_code == 200, status.text
        assert status.json()["data"]["user_id"] == b_id
        assert a_id not in status.text
    # B's write lands on B only.
    bob = await stack.client.patch(
        "/api/users/me", json={"name": "Bob"}, headers=stack.bearer(b["access_token"])
    )
    assert bob.status_code == 200, bob.text
    assert (await me_with(stack, a["access_token"])).json()["data"]["name"] == marker


async def test_swapping_sub_to_another_user_is_refused(env: Env) -> None:
    """B's token re-pointed at A's id, with B's signature → 401."""
    stack = env.stack
    a, b = await stack.register(), await stack.register()
    head, _, signature = b["access_token"].split(".")
    claims = {**payload_of(b["access_token"]), "sub": a["user"]["id"]}
    assert_error(
        await me_with(stack, f"{head}.{b64(json.dumps(claims).encode())}.{signature}"), 401
    )


# -- API3: mass assignment ------------------------------------------------------------------

PRIVILEGED = {"is_admin": True, "scopes": ["admin"], "token_version": 0}


async def test_register_ignores_privileged_fields(env: Env) -> None:
    """Extra fields on register are ignored, never applied: the account is an ordinary one
    (no admin scope, in body or query string), and nothing of them is stored."""
    stack = env.stack
    email = f"mass{uuid.uuid4().hex[:10]}@example.com"
    body = {"email": email, "password": STRONG_PASSWORD, **PRIVILEGED, "is_premium": True}
    created = await stack.client.post(
        "/api/auth/register", params={"is_admin": "true", "scopes": "admin"}, json=body
    )
    assert created.status_code == 201, created.text
    assert created.json()["data"]["user"]["is_premium"] is False
    for key in ("access_token", "refresh_token"):
        claims = payload_of(created.json()["data"][key])
        assert tokens.ADMIN_SCOPE not in claims["scopes"]
    admin_page = await stack.client.get(
        "/api/admin/users", headers=stack.bearer(created.json()["data"]["access_token"])
    )
    assert_error(admin_page, 403)
    again = await stack.client.post("/api/auth/register", json=body)
    assert_error(again, 409, "email_taken")  # one account was created, with that email


async def test_profile_update_ignores_privileged_fields(env: Env) -> None:
    """PATCH /users/me with identity/privilege fields → 200; the fields it takes apply, the
    server-owned ones (email, id, is_premium, scopes) never do."""
    stack = env.stack
    user = await stack.register()
    extra = {
        **PRIVILEGED,
        "email": "victim@example.com",
        "id": str(uuid.uuid4()),
        "is_premium": True,
    }
    answer = await stack.client.patch(
        "/api/users/me", json={"name": "Eve", **extra}, headers=stack.bearer(user["access_token"])
    )
    assert answer.status_code == 200, answer.text
    profile = (await me_with(stack, user["access_token"])).json()["data"]
    assert profile["email"] == user["email"]
    assert profile["id"] == user["user"]["id"]
    assert profile["name"] == "Eve"
    assert profile["is_premium"] is False
    login = await stack.client.post(
        "/api/auth/login", json={"email": "victim@example.com", "password": STRONG_PASSWORD}
    )
    assert login.status_code == 401  # no account took that email
    assert tokens.ADMIN_SCOPE not in payload_of(user["access_token"])["scopes"]


# -- API5: broken function-level authorization ----------------------------------------------

# Harmless bodies: wrong passwords answer 400, never a change.
BODIES: dict[str, JSON] = {
    "/api/auth/change-password": {"current_password": "wrong", "new_password": "x" * 20},
    "/api/auth/delete-account": {"password": "wrong"},
    "/api/users/me": {"name": "Matrix"},
    "/api/auth/logout": {},
    "/api/transactions": {"amount": 1, "category": "food"},
}
PROTECTED = sorted(k for k, v in ROUTE_ACCESS.items() if v != PUBLIC)
PATH_VALUES = {"{year}": "2026", "{month}": "12", "{day}": "1", "{feature}": "insights_tab",
               "{category}": "groceries"}  # fmt: skip


def concrete(path: str) -> str:
    """A documented path with its parameters filled in (ids: a fresh uuid nobody owns)."""
    for name, value in PATH_VALUES.items():
        path = path.replace(name, value)
    return re.sub(r"\{[a-z_]+_id\}", lambda _: str(uuid.uuid4()), path)


def assert_allowed(answer: httpx.Response) -> None:
    """Authorized: a 2xx or a client error that is not 401/403 (e.g. a wrong password → 400)."""
    assert answer.status_code < 500, answer.text
    assert answer.status_code not in (401, 403), answer.text


async def test_every_operation_has_an_access_rule(env: Env) -> None:
    """Guard: each documented operation is classified in ROUTE_ACCESS (and nothing stale)."""
    answer = await env.stack.client.get("/openapi.json")
    assert operations(answer.json()) == set(ROUTE_ACCESS)


@pytest.mark.parametrize(("method", "path"), PROTECTED, ids=[f"{m} {p}" for m, p in PROTECTED])
async def test_scope_matrix(env: Env, method: str, path: str) -> None:
    """No token → 401; a token without the scope → 403; a user token → allowed on user routes
    and 403 on admin ones; an admin token → allowed everywhere (the admin route answers 200)."""
    stack, scope = env.stack, ROUTE_ACCESS[(method, path)]
    body = BODIES.get(path) if method != "GET" else None
    path = concrete(path)  # id routes match only ids of their kind (a uuid here)

    async def call(target: str, token: str | None) -> httpx.Response:
        headers = stack.bearer(token) if token else {}
        return await stack.client.request(method, target, json=body, headers=headers)

    for target in (path, path + "/"):
        assert_error(await call(target, None), 401)
    user = await stack.register()
    scopeless = forge(stack, user["access_token"], scopes=[])
    stripped = await call(path, scopeless)
    if scope == ANY_SCOPE:
        assert_allowed(stripped)
    else:
        assert_error(stripped, 403)
    as_user = await call(path, forge(stack, user["access_token"]))
    if scope == tokens.ADMIN_SCOPE:
        assert_error(as_user, 403)
    else:
        assert_allowed(as_user)
    as_admin = await call(path, forge(stack, env.admin["access_token"]))
    assert_allowed(as_admin)
    if scope == tokens.ADMIN_SCOPE:
        assert as_admin.status_code == 200
        assert as_admin.json()["success"] is True


@pytest.mark.parametrize(
    ("method", "path"),
    sorted(k for k, v in ROUTE_ACCESS.items() if v == PUBLIC and k[1].startswith("/api")),
)
async def test_public_routes_need_no_token(env: Env, method: str, path: str) -> None:
    """Public auth routes never answer 401/403 for lack of a token (an empty body → 422)."""
    json_body: JSON | None = {} if method != "GET" else None
    answer = await env.stack.client.request(method, path, json=json_body)
    assert_error(answer, 422)
