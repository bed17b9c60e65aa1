"""OWASP API Top 10 through the gateway: broken object-level authorization (API1), mass
assignment (API3) and broken function-level authorization (API5).

BOLA has a structural guard (every route with an id in its path needs a ``BolaCase``); the
scope matrix walks every protected operation in ``ROUTE_ACCESS`` (owasp_support.py) with no
token, a scopeless token, a user token and an admin token, each forged with the real secret.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from shared import tokens
from shared.projections import poll
from tests.conftest import Infra
from tests.e2e.bola_cases import BOLA_CASES, BolaCase
from tests.e2e.conftest import STRONG_PASSWORD
from tests.e2e.owasp_support import (
    ADMIN_ANSWERS,
    ANY_SCOPE,
    FILE_ROUTES,
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


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def env(infra: Infra) -> AsyncIterator[Env]:
    """One stack for the module (every test registers its own users)."""
    async with open_env(infra) as shared:
        yield shared


# -- API1: broken object-level authorization -----------------------------------------------


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
    if case.owner_sees is not None:
        assert case.owner_sees not in foreign.text
    if case.caller_scoped and case.owner_check:
        shown = case.owner_sees or marker.replace("-", "_")
        owns: list[httpx.Response] = []

        async def owner_sees() -> bool:
            # Polled: the planted object reaches a read model a moment after its write.
            owns.append(
                await stack.client.request(case.method, url, json=case.body, headers=owner_headers)
            )
            return owns[-1].status_code == 200 and shown in owns[-1].text

        assert await poll(owner_sees, 10), f"the owner does see the planted data: {owns[-1].text}"
    if case.read is not None:
        proof = case.owner_sees or (params[case.proof] if case.proof else marker)
        read = case.read.format(**params)
        answers: list[httpx.Response] = []

        async def intact() -> bool:
            # Polled: under load the read model may show the owner's object a moment late.
            answers.append(await stack.client.get(read, headers=owner_headers))
            return answers[-1].status_code == 200 and proof in answers[-1].text

        assert await poll(intact, 10), answers[-1].text


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
    "/api/admin/events/replay": {"projection": "ledger_transactions", "name": "owasp"},
    "/api/admin/users/{user_id}/lock": {"reason": "matrix"},
}
PROTECTED = sorted(k for k, v in ROUTE_ACCESS.items() if v != PUBLIC)
PATH_VALUES = {"{year}": "2026", "{month}": "12", "{day}": "1", "{feature}": "insights_tab",
               "{category}": "groceries", "{name}": "ledger_transactions",
               "{projection}": "ledger_transactions", "{service}": "ledger",
               "{position}": "1"}  # fmt: skip


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
    documented = (method, path)
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
        assert as_admin.status_code in ADMIN_ANSWERS.get(documented, (200,)), as_admin.text
        if documented in FILE_ROUTES:
            assert as_admin.headers["content-type"].startswith("application/x-ndjson")
        elif as_admin.status_code < 300:
            assert as_admin.json()["success"] is True
        else:
            assert_error(as_admin, as_admin.status_code)


@pytest.mark.parametrize(
    ("method", "path"),
    sorted(k for k, v in ROUTE_ACCESS.items() if v == PUBLIC and k[1].startswith("/api")),
)
async def test_public_routes_need_no_token(env: Env, method: str, path: str) -> None:
    """Public auth routes never answer 401/403 for lack of a token (an empty body → 422)."""
    json_body: JSON | None = {} if method != "GET" else None
    answer = await env.stack.client.request(method, path, json=json_body)
    assert_error(answer, 422)
