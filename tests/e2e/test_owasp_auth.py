"""OWASP API Top 10 through the gateway: broken auth (API2), BOLA (API1), mass assignment (API3),
function-level authorization (API5).

Every test talks to the real gateway (`stack.client`) in front of the real auth service. Where a
test needs a token that differs from a valid one in exactly one respect, it is forged with the
real secret from the claims the user's own token carries, so each 401/403 has that one cause (a
control test proves the forger produces accepted tokens).

The helpers here (`open_stack`, `assert_error`, `forge`) are shared with
``test_owasp_limits.py`` and ``test_schemathesis.py``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pytest
import pytest_asyncio
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from shared import tokens
from shared.api import STATUS_CODES
from tests.conftest import Infra
from tests.e2e.conftest import STRONG_PASSWORD, Stack, open_stack

ADMIN_EMAIL = "owasp-admin@example.com"
TRACE_MARKERS = ("Traceback", 'File "', '.py"', "psycopg", "redis.exceptions", "httpx.")
JSON = dict[str, Any]


def assert_error(answer: httpx.Response, status: int, code: str | None = None) -> JSON:
    """The answer is ``status`` in the error envelope, without internals; return the body."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    body: JSON = answer.json()
    assert body["success"] is False
    assert isinstance(body["detail"], str)
    assert body["detail"]
    error = body["error"]
    assert error["code"] == (code or STATUS_CODES[status])
    assert re.fullmatch(r"[0-9a-f]{32}", error["error_id"]), error
    assert error["message"] == body["detail"]
    assert isinstance(error["details"], dict)
    for marker in TRACE_MARKERS:
        assert marker not in answer.text, answer.text
    if status == 401:
        assert answer.headers["www-authenticate"] == "Bearer"
    if status == 429:
        assert int(answer.headers["retry-after"]) > 0
    return body


def payload_of(token: str) -> JSON:
    """A token's claims, unverified (the test's own token: only to copy and alter)."""
    claims: JSON = jwt.decode(token, options={"verify_signature": False})
    return claims


def b64(data: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def compact(header: JSON, payload: JSON, sign: Callable[[bytes], bytes]) -> str:
    """A JWS compact token with any header and any signing function."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    return f"{signing_input}.{b64(sign(signing_input.encode()))}"


def forge(stack: Stack, template: str, *, drop: str | None = None, **changes: Any) -> str:
    """Sign with the real secret: ``template``'s claims, new jti, ``changes``, minus ``drop``."""
    payload = {**payload_of(template), "jti": uuid.uuid4().hex, **changes}
    if drop is not None:
        del payload[drop]
    secret = stack.gateway_settings.secret_key.get_secret_value()
    return jwt.encode(payload, secret, algorithm=tokens.ALGORITHM)


@dataclass
class Env:
    """A shared stack whose auth service treats ADMIN_EMAIL as an admin."""

    stack: Stack
    admin: JSON


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def env(infra: Infra) -> AsyncIterator[Env]:
    """One stack for the module (every test registers its own users)."""
    async with open_stack(
        infra,
        auth={"admin_emails": [ADMIN_EMAIL]},
        rate_limit_per_minute=10_000,
        auth_rate_limit_per_minute=10_000,
    ) as stack:
        answer = await stack.client.post(
            "/api/auth/register", json={"email": ADMIN_EMAIL, "password": STRONG_PASSWORD}
        )
        assert answer.status_code == 201, answer.text
        yield Env(stack, answer.json()["data"])


async def me_with(stack: Stack, token: str) -> httpx.Response:
    """GET /api/users/me with ``token`` as the bearer."""
    return await stack.client.get("/api/users/me", headers=stack.bearer(token))


# -- API2: broken authentication ------------------------------------------------------------


async def test_forged_control_token_is_accepted(env: Env) -> None:
    """The forger is right: a token re-signed with all claims intact is accepted."""
    user = await env.stack.register()
    answer = await me_with(env.stack, forge(env.stack, user["access_token"]))
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["id"] == user["user"]["id"]


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
async def test_alg_none_is_refused(env: Env, alg: str) -> None:
    """An unsigned token (``alg: none`` in any casing) is never accepted."""
    user = await env.stack.register()
    claims = payload_of(user["access_token"])
    token = compact({"alg": alg, "typ": "JWT"}, claims, lambda _: b"")
    assert_error(await me_with(env.stack, token), 401)
    assert_error(await me_with(env.stack, token.rstrip(".")), 401)


async def test_rs256_token_and_hs256_signed_with_public_key_are_refused(env: Env) -> None:
    """HS/RS confusion: RS256 is not accepted, nor HS256 keyed with a public key PEM."""
    user = await env.stack.register()
    claims = payload_of(user["access_token"])
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rs256 = jwt.encode(claims, key, algorithm="RS256")
    assert_error(await me_with(env.stack, rs256), 401)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    confused = compact(
        {"alg": "HS256", "typ": "JWT"},
        claims,
        lambda data: hmac.new(public_pem, data, hashlib.sha256).digest(),
    )
    assert_error(await me_with(env.stack, confused), 401)


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
async def test_other_hmac_algorithm_with_the_real_secret_is_refused(env: Env) -> None:
    """Only HS256 is accepted, even with the right key."""
    user = await env.stack.register()
    secret = env.stack.gateway_settings.secret_key.get_secret_value()
    hs512 = jwt.encode(payload_of(user["access_token"]), secret, algorithm="HS512")
    assert_error(await me_with(env.stack, hs512), 401)


async def test_expired_token_is_refused(env: Env) -> None:
    """``exp`` in the past → 401."""
    user = await env.stack.register()
    now = int(time.time())
    token = forge(env.stack, user["access_token"], iat=now - 3600, exp=now - 60)
    assert_error(await me_with(env.stack, token), 401)


@pytest.mark.parametrize("claim", ["sub", "jti", "iat", "exp", "iss", "aud", "typ", "tv", "scopes"])
async def test_token_missing_a_required_claim_is_refused(env: Env, claim: str) -> None:
    """Each claim shared/tokens.py issues is required: without it → 401."""
    user = await env.stack.register()
    token = forge(env.stack, user["access_token"], drop=claim)
    assert_error(await me_with(env.stack, token), 401)


@pytest.mark.parametrize(
    "changes",
    [
        {"aud": "another-api"},
        {"iss": "evil-issuer"},
        {"typ": "refresh"},
        {"sub": "not-a-uuid"},
        {"tv": "0"},
        {"tv": True},
        {"scopes": "read:profile"},
        {"scopes": [1, 2]},
    ],
    ids=["aud", "iss", "typ", "sub", "tv-str", "tv-bool", "scopes-str", "scopes-ints"],
)
async def test_token_with_a_wrong_claim_is_refused(env: Env, changes: JSON) -> None:
    """Wrong audience/issuer/type or mistyped claims → 401, even correctly signed."""
    user = await env.stack.register()
    assert_error(await me_with(env.stack, forge(env.stack, user["access_token"], **changes)), 401)


async def test_tampered_token_is_refused(env: Env) -> None:
    """A changed payload (claiming ``admin``) or a changed signature byte → 401."""
    user = await env.stack.register()
    head, body, signature = user["access_token"].split(".")
    claims = {**payload_of(user["access_token"]), "scopes": [*tokens.USER_SCOPES, "admin"]}
    escalated = f"{head}.{b64(json.dumps(claims).encode())}.{signature}"
    answer = await env.stack.client.get("/api/admin/users", headers=env.stack.bearer(escalated))
    assert_error(answer, 401)
    middle = len(signature) // 2
    flipped = (
        signature[:middle] + ("A" if signature[middle] != "A" else "B") + signature[middle + 1 :]
    )
    assert_error(await me_with(env.stack, f"{head}.{body}.{flipped}"), 401)


@pytest.mark.parametrize(
    "header",
    ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Token {token}", "{token}", "Bearer a.b.c"],
)
async def test_malformed_authorization_header_is_refused(env: Env, header: str) -> None:
    """Other schemes, a bare token or an empty bearer → 401."""
    user = await env.stack.register()
    value = header.format(token=user["access_token"])
    answer = await env.stack.client.get("/api/users/me", headers={"Authorization": value})
    assert_error(answer, 401)


async def test_token_in_query_string_is_not_accepted(env: Env) -> None:
    """Tokens are only read from the Authorization header (never from URLs that get logged)."""
    user = await env.stack.register()
    answer = await env.stack.client.get(
        "/api/users/me", params={"access_token": user["access_token"], "token": "x"}
    )
    assert_error(answer, 401)


async def test_refresh_token_is_not_a_bearer(env: Env) -> None:
    """A refresh token used as the access token → 401 (on reads and on logout)."""
    user = await env.stack.register()
    assert_error(await me_with(env.stack, user["refresh_token"]), 401)
    answer = await env.stack.client.post(
        "/api/auth/logout", json={}, headers=env.stack.bearer(user["refresh_token"])
    )
    assert_error(answer, 401)


async def test_revoked_after_logout(env: Env) -> None:
    """After logout the access token → 401 and validate-token says invalid."""
    user = await env.stack.register()
    out = await env.stack.client.post(
        "/api/auth/logout", json={}, headers=env.stack.bearer(user["access_token"])
    )
    assert out.status_code == 200, out.text
    assert_error(await me_with(env.stack, user["access_token"]), 401)
    check = await env.stack.client.post(
        "/api/auth/validate-token", json={"token": user["access_token"]}
    )
    assert check.status_code == 200, check.text
    assert check.json()["data"] == {"valid": False}


async def test_change_password_kills_older_tokens(env: Env) -> None:
    """Token version bump: the old access and refresh tokens → 401, the new pair works."""
    user = await env.stack.register()
    changed = await env.stack.client.post(
        "/api/auth/change-password",
        json={"current_password": STRONG_PASSWORD, "new_password": "a different long passphrase"},
        headers=env.stack.bearer(user["access_token"]),
    )
    assert changed.status_code == 200, changed.text
    fresh = changed.json()["data"]
    assert_error(await me_with(env.stack, user["access_token"]), 401)
    # A copy of the old token with a new jti is still of the old version.
    assert_error(await me_with(env.stack, forge(env.stack, user["access_token"])), 401)
    refresh = await env.stack.client.post(
        "/api/auth/refresh-token", json={"refresh_token": user["refresh_token"]}
    )
    assert_error(refresh, 401)
    assert (await me_with(env.stack, fresh["access_token"])).status_code == 200


async def test_deleted_account_tokens_are_dead(env: Env) -> None:
    """After account deletion its access and refresh tokens → 401; login fails."""
    user = await env.stack.register()
    deleted = await env.stack.client.request(
        "DELETE",
        "/api/auth/delete-account",
        json={"password": STRONG_PASSWORD},
        headers=env.stack.bearer(user["access_token"]),
    )
    assert deleted.status_code == 200, deleted.text
    assert_error(await me_with(env.stack, user["access_token"]), 401)
    refresh = await env.stack.client.post(
        "/api/auth/refresh-token", json={"refresh_token": user["refresh_token"]}
    )
    assert_error(refresh, 401)
    login = await env.stack.client.post(
        "/api/auth/login", json={"email": user["email"], "password": STRONG_PASSWORD}
    )
    assert_error(login, 401, "invalid_credentials")


async def test_signed_token_for_an_unknown_user_is_refused(env: Env) -> None:
    """A validly signed token whose subject never existed → 401 (no ghost sessions)."""
    user = await env.stack.register()
    token = forge(env.stack, user["access_token"], sub=str(uuid.uuid4()))
    assert_error(await me_with(env.stack, token), 401)


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


# Every gateway route with a {param} must have a case here (see the structural guard below).
BOLA_CASES: tuple[BolaCase, ...] = ()


def operations(openapi: JSON) -> set[tuple[str, str]]:
    """(METHOD, path) of every documented operation."""
    verbs = {"get", "post", "put", "patch", "delete"}
    return {(m.upper(), p) for p, item in openapi["paths"].items() for m in item if m in verbs}


async def test_every_route_with_an_id_has_a_bola_case(env: Env) -> None:
    """Structural guard: every documented operation whose path has a ``{param}`` is in BOLA_CASES.

    Object ids in paths are where BOLA lives. Today no public route has one (the per-user data
    is reached through the caller's token only), so BOLA_CASES is empty and the guard passes;
    when a route like ``/api/transactions/{id}`` is added without a case, this test fails until
    a BolaCase is written, and ``test_bola_foreign_object_is_invisible`` then runs it.
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
    if case.read is not None:
        kept = await stack.client.get(case.read.format(**params), headers=owner_headers)
        assert kept.status_code == 200, kept.text
        assert marker in kept.text


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


def invalid_fields(answer: httpx.Response) -> set[str]:
    """The fields named by a 422's validation errors."""
    body = assert_error(answer, 422)
    return {e["field"] for e in body["error"]["details"]["validation_errors"]}


async def test_register_refuses_privileged_fields(env: Env) -> None:
    """Extra fields on register → 422 naming each; nothing is created; no admin scope ever."""
    stack = env.stack
    email = f"mass{uuid.uuid4().hex[:10]}@example.com"
    body = {"email": email, "password": STRONG_PASSWORD, **PRIVILEGED}
    answer = await stack.client.post("/api/auth/register", json=body)
    assert invalid_fields(answer) >= set(PRIVILEGED)
    # The refused registration created nothing: the same email registers normally, and neither
    # that nor a query-string attempt yields the admin scope.
    created = await stack.client.post(
        "/api/auth/register",
        params={"is_admin": "true", "scopes": "admin"},
        json={"email": email, "password": STRONG_PASSWORD},
    )
    assert created.status_code == 201, created.text
    for key in ("access_token", "refresh_token"):
        assert tokens.ADMIN_SCOPE not in payload_of(created.json()["data"][key])["scopes"]
    admin_page = await stack.client.get(
        "/api/admin/users", headers=stack.bearer(created.json()["data"]["access_token"])
    )
    assert_error(admin_page, 403)


async def test_profile_update_refuses_privileged_fields(env: Env) -> None:
    """PATCH /users/me with identity/privilege fields → 422 naming each; nothing changes."""
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
    assert invalid_fields(answer) >= set(extra)
    profile = (await me_with(stack, user["access_token"])).json()["data"]
    assert profile["email"] == user["email"]
    assert profile["id"] == user["user"]["id"]
    assert profile["name"] != "Eve"
    assert profile["is_premium"] is False


# -- API5: broken function-level authorization ----------------------------------------------

PUBLIC = "public"
ANY_SCOPE = "any"
# Every documented operation: PUBLIC, ANY_SCOPE (any valid access token) or the scope it needs.
ROUTE_ACCESS: dict[tuple[str, str], str] = {
    ("GET", "/"): PUBLIC,
    ("GET", "/health"): PUBLIC,
    ("POST", "/api/auth/register"): PUBLIC,
    ("POST", "/api/auth/login"): PUBLIC,
    ("POST", "/api/auth/google"): PUBLIC,
    ("POST", "/api/auth/refresh-token"): PUBLIC,
    ("POST", "/api/auth/forgot-password"): PUBLIC,
    ("GET", "/api/auth/verify-reset-token"): PUBLIC,
    ("POST", "/api/auth/reset-password"): PUBLIC,
    ("POST", "/api/auth/validate-token"): PUBLIC,
    ("POST", "/api/auth/logout"): ANY_SCOPE,
    ("POST", "/api/auth/change-password"): "write:profile",
    ("DELETE", "/api/auth/delete-account"): "write:profile",
    ("GET", "/api/auth/security-status"): "read:profile",
    ("GET", "/api/users/me"): "read:profile",
    ("PATCH", "/api/users/me"): "write:profile",
    ("GET", "/api/admin/users"): tokens.ADMIN_SCOPE,
}
# Harmless bodies: wrong passwords answer 400, never a change.
BODIES: dict[str, JSON] = {
    "/api/auth/change-password": {"current_password": "wrong", "new_password": "x" * 20},
    "/api/auth/delete-account": {"password": "wrong"},
    "/api/users/me": {"name": "Matrix"},
    "/api/auth/logout": {},
}
PROTECTED = sorted(k for k, v in ROUTE_ACCESS.items() if v != PUBLIC)


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
