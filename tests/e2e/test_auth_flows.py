"""Password, profile, deletion, throttling and Google sign-in flows through the gateway."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.conftest import Infra
from tests.e2e.conftest import STRONG_PASSWORD, Stack, open_stack
from tests.google_fakes import KID, PROJECT, CertServer, SigningKey, claims, make_key, sign
from tests.helpers import wait_until

NEW_PASSWORD = "a much longer new passphrase"


async def login(stack: Stack, email: str, password: str) -> int:
    """Status of a login attempt."""
    answer = await stack.client.post("/api/auth/login", json={"email": email, "password": password})
    return answer.status_code


async def test_duplicate_email_and_weak_password(stack: Stack) -> None:
    """409 mentions 'already registered'; a common or short password → 422 with reasons."""
    user = await stack.register()
    dup = await stack.client.post(
        "/api/auth/register", json={"email": user["email"].upper(), "password": STRONG_PASSWORD}
    )
    assert dup.status_code == 409
    assert "already registered" in dup.json()["detail"]
    for weak in ("password123", "short", "a" * 129):
        bad = await stack.client.post(
            "/api/auth/register", json={"email": f"w{uuid.uuid4().hex}@x.io", "password": weak}
        )
        assert bad.status_code == 422, (weak, bad.text)
        assert bad.json()["error"]["details"]["validation_errors"]


async def test_change_password_kills_old_tokens(stack: Stack) -> None:
    """After a password change the old access and refresh tokens answer 401."""
    user = await stack.register()
    old = stack.bearer(user["access_token"])
    wrong = await stack.client.post(
        "/api/auth/change-password",
        json={"current_password": "not it at all", "new_password": NEW_PASSWORD},
        headers=old,
    )
    assert wrong.status_code == 400
    changed = await stack.client.post(
        "/api/auth/change-password",
        json={"current_password": STRONG_PASSWORD, "new_password": NEW_PASSWORD},
        headers=old,
    )
    assert changed.status_code == 200, changed.text
    fresh = changed.json()["data"]
    assert (await stack.client.get("/api/users/me", headers=old)).status_code == 401
    refresh = await stack.client.post(
        "/api/auth/refresh-token", json={"refresh_token": user["refresh_token"]}
    )
    assert refresh.status_code == 401
    me = await stack.client.get("/api/users/me", headers=stack.bearer(fresh["access_token"]))
    assert me.status_code == 200
    assert await login(stack, user["email"], STRONG_PASSWORD) == 401
    assert await login(stack, user["email"], NEW_PASSWORD) == 200


async def test_forgot_and_reset_password(stack: Stack) -> None:
    """Identical answers for unknown emails; a mailed single-use token resets the password."""
    user = await stack.register()
    known = await stack.client.post("/api/auth/forgot-password", json={"email": user["email"]})
    unknown = await stack.client.post(
        "/api/auth/forgot-password", json={"email": "nobody@example.com", "platform": "ios"}
    )
    assert known.status_code == unknown.status_code == 200
    assert known.json()["data"] == unknown.json()["data"]
    assert known.json()["message"] == unknown.json()["message"]

    async def mailed() -> bool:
        return any(m.to == user["email"] for m in stack.outbox())

    await wait_until(mailed, 10, "the reset mail")
    assert not any(m.to == "nobody@example.com" for m in stack.outbox())
    body = next(m.body for m in stack.outbox() if m.to == user["email"])
    match = re.search(r"token=(\S+)", body)
    assert match
    token = match.group(1)

    bad = await stack.client.get("/api/auth/verify-reset-token", params={"token": "nope"})
    assert bad.status_code == 400
    good = await stack.client.get("/api/auth/verify-reset-token", params={"token": token})
    assert good.status_code == 200
    assert good.json()["data"] == {"valid": True}
    reset = await stack.client.post(
        "/api/auth/reset-password", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert reset.status_code == 200, reset.text
    again = await stack.client.post(
        "/api/auth/reset-password", json={"token": token, "new_password": "yet another passphrase"}
    )
    assert again.status_code == 400, "a reset token is single-use"
    me = await stack.client.get("/api/users/me", headers=stack.bearer(user["access_token"]))
    assert me.status_code == 401, "a reset ends every session"
    assert await login(stack, user["email"], NEW_PASSWORD) == 200


async def test_profile_update_and_preferences(stack: Stack) -> None:
    """PATCH /users/me stores profile fields and settings-screen preferences; GET shape back."""
    user = await stack.register(name="Ana")
    auth = stack.bearer(user["access_token"])
    answer = await stack.client.patch(
        "/api/users/me",
        json={"income": 4200.5, "currency": "EUR", "dark_mode": True, "language": "bg"},
        headers=auth,
    )
    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    assert data["income"] == 4200.5
    assert data["currency"] == "EUR"
    assert data["preferences"] == {"dark_mode": True, "language": "bg"}
    assert data["name"] == "Ana"
    assert 0 < data["profile_completion"] < 100
    again = await stack.client.get("/api/users/me", headers=auth)
    assert again.json()["data"]["income"] == 4200.5
    bad = await stack.client.patch("/api/users/me", json={"income": -1}, headers=auth)
    assert bad.status_code == 422


async def test_delete_account(stack: Stack) -> None:
    """Deletion needs the password; afterwards tokens and login fail; the email is free."""
    user = await stack.register()
    auth = stack.bearer(user["access_token"])
    wrong = await stack.client.request(
        "DELETE", "/api/auth/delete-account", json={"password": "wrong password!"}, headers=auth
    )
    assert wrong.status_code == 400
    gone = await stack.client.request(
        "DELETE", "/api/auth/delete-account", json={"password": STRONG_PASSWORD}, headers=auth
    )
    assert gone.status_code == 200, gone.text
    assert (await stack.client.get("/api/users/me", headers=auth)).status_code == 401
    assert await login(stack, user["email"], STRONG_PASSWORD) == 401
    again = await stack.register(email=user["email"])
    assert again["user"]["id"] != user["user"]["id"]


async def test_security_status_and_validate_token(stack: Stack) -> None:
    """What the security screen shows; validate-token tells live from dead tokens."""
    user = await stack.register()
    auth = stack.bearer(user["access_token"])
    status = await stack.client.get("/api/auth/security-status", headers=auth)
    assert status.status_code == 200
    assert status.json()["data"]["password_set"] is True
    valid = await stack.client.post(
        "/api/auth/validate-token", json={"token": user["access_token"]}
    )
    assert valid.json()["data"]["valid"] is True
    assert valid.json()["data"]["user_id"] == user["user"]["id"]
    invalid = await stack.client.post(
        "/api/auth/validate-token", json={"token": user["refresh_token"]}
    )
    assert invalid.json()["data"] == {"valid": False}


async def test_login_throttled_per_account_before_hashing(infra: Infra) -> None:
    """After N failures even the right password answers 429 with Retry-After."""
    async with open_stack(
        infra,
        {"login_max_failures_per_account": 3},
        rate_limit_per_minute=10_000,
        auth_rate_limit_per_minute=10_000,
    ) as stack:
        user = await stack.register()
        for _ in range(3):
            assert await login(stack, user["email"], "wrong password!") == 401
        blocked = await stack.client.post(
            "/api/auth/login", json={"email": user["email"], "password": STRONG_PASSWORD}
        )
        assert blocked.status_code == 429
        assert int(blocked.headers["retry-after"]) > 0
        # Another account from another client is not affected.
        other = await stack.register()
        assert await login(stack, other["email"], STRONG_PASSWORD) == 200


@pytest.fixture(scope="module")
def google_key() -> SigningKey:
    """The fake Google signing key."""
    return make_key("securetoken.system.gserviceaccount.com")


@pytest.fixture(scope="module")
def certs(google_key: SigningKey) -> Iterator[CertServer]:
    """The fake Google certificate endpoint."""
    server = CertServer({KID: google_key.cert_pem.decode()})
    yield server
    server.close()


@pytest.fixture
async def google_stack(infra: Infra, certs: CertServer) -> AsyncIterator[Stack]:
    """A stack whose auth service trusts the fake Google."""
    async with open_stack(
        infra,
        {"google_project_id": PROJECT, "google_certs_url": certs.url},
        rate_limit_per_minute=10_000,
        auth_rate_limit_per_minute=10_000,
    ) as stack:
        yield stack


async def test_google_sign_in(google_stack: Stack, google_key: SigningKey) -> None:
    """A verified Google identity signs in (registering once); a forged token does not."""
    email = f"g{uuid.uuid4().hex[:10]}@gmail.com"
    token = sign(google_key, claims(email=email, sub=f"uid-{uuid.uuid4().hex[:8]}"))
    first = await google_stack.client.post("/api/auth/google", json={"id_token": token})
    assert first.status_code == 200, first.text
    second = await google_stack.client.post("/api/auth/google", json={"id_token": token})
    assert second.json()["data"]["user"]["id"] == first.json()["data"]["user"]["id"]
    me = await google_stack.client.get(
        "/api/users/me", headers=google_stack.bearer(first.json()["data"]["access_token"])
    )
    assert me.json()["data"]["email"] == email
    forged = sign(make_key("attacker"), claims(email=email))
    bad = await google_stack.client.post("/api/auth/google", json={"id_token": forged})
    assert bad.status_code == 401
    unverified = sign(google_key, claims(email=f"x{email}", email_verified=False))
    assert (
        await google_stack.client.post("/api/auth/google", json={"id_token": unverified})
    ).status_code == 401
    # Password login does not work for a Google-only account.
    assert await login(google_stack, email, STRONG_PASSWORD) == 401


async def test_google_not_configured(stack: Stack) -> None:
    """Without a Firebase project the endpoint says so (503), never accepts a token."""
    answer = await stack.client.post("/api/auth/google", json={"id_token": "x.y.z"})
    assert answer.status_code == 503


async def test_security_events_are_audited(stack: Stack, caplog: pytest.LogCaptureFixture) -> None:
    """Failed logins and rejected tokens leave audit records without secrets."""
    user = await stack.register()
    with caplog.at_level("WARNING", logger="mita.audit"):
        assert await login(stack, user["email"], "wrong password!") == 401
        bad = await stack.client.get("/api/users/me", headers=stack.bearer("not.a.token"))
        assert bad.status_code == 401
    records = [r.getMessage() for r in caplog.records if r.name == "mita.audit"]
    assert any('"auth.login_failed"' in r for r in records)
    assert any('"auth.token_rejected"' in r for r in records)
    assert not any("wrong password!" in r or "not.a.token" in r for r in records)


async def test_google_never_takes_over_a_password_account(
    google_stack: Stack, google_key: SigningKey
) -> None:
    """Someone who registered the email with a password keeps it: Google sign-in → 409."""
    owner = await google_stack.register()
    token = sign(google_key, claims(email=owner["email"], sub=f"uid-{uuid.uuid4().hex[:8]}"))
    answer = await google_stack.client.post("/api/auth/google", json={"id_token": token})
    assert answer.status_code == 409
    assert await login(google_stack, owner["email"], STRONG_PASSWORD) == 200
