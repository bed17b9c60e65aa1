"""OWASP API Top 10 through the gateway: broken authentication (API2).

Every test talks to the real gateway (`stack.client`) in front of the real auth service. Where a
test needs a token that differs from a valid one in exactly one respect, it is forged with the
real secret from the claims the user's own token carries (``forge`` in owasp_support.py), so
each 401 has that one cause (a control test proves the forger produces accepted tokens).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable

import jwt
import pytest
import pytest_asyncio
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from shared import tokens
from tests.conftest import Infra
from tests.e2e.conftest import STRONG_PASSWORD
from tests.e2e.owasp_support import (
    JSON,
    Env,
    assert_error,
    b64,
    forge,
    me_with,
    open_env,
    payload_of,
)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def env(infra: Infra) -> AsyncIterator[Env]:
    """One stack for the module (every test registers its own users)."""
    async with open_env(infra) as shared:
        yield shared


def compact(header: JSON, payload: JSON, sign: Callable[[bytes], bytes]) -> str:
    """A JWS compact token with any header and any signing function."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    return f"{signing_input}.{b64(sign(signing_input.encode()))}"


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
