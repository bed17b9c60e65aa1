"""The auth half of the mobile contract, through the gateway."""

from __future__ import annotations

import asyncio

from tests.e2e.conftest import STRONG_PASSWORD, Stack


async def test_register_login_me_refresh_logout(stack: Stack) -> None:
    """Register → /users/me → login → refresh rotates → logout kills both tokens."""
    user = await stack.register(country="BG", annual_income="72000", timezone="Europe/Sofia")
    assert user["token_type"] == "Bearer"
    assert user["user"]["email"] == user["email"]
    me = await stack.client.get("/api/users/me", headers=stack.bearer(user["access_token"]))
    assert me.status_code == 200, me.text
    profile = me.json()["data"]
    assert profile["income"] == 6000
    assert profile["has_onboarded"] is False
    assert profile["timezone"] == "Europe/Sofia"

    login = await stack.client.post(
        "/api/auth/login", json={"email": user["email"], "password": STRONG_PASSWORD}
    )
    assert login.status_code == 200, login.text
    tokens = login.json()["data"]
    assert tokens["user"]["last_login"]

    rotated = await stack.client.post(
        "/api/auth/refresh-token", json={"refresh_token": tokens["refresh_token"]}
    )
    assert rotated.status_code == 200, rotated.text
    fresh = rotated.json()["data"]
    assert fresh["refresh_token"] != tokens["refresh_token"]
    again = await stack.client.post(
        "/api/auth/refresh-token", json={"refresh_token": tokens["refresh_token"]}
    )
    assert again.status_code == 401
    # Reuse revoked the whole family: the rotated token is dead too.
    family = await stack.client.post(
        "/api/auth/refresh-token", json={"refresh_token": fresh["refresh_token"]}
    )
    assert family.status_code == 401

    out = await stack.client.post(
        "/api/auth/logout",
        json={"refresh_token": user["refresh_token"]},
        headers=stack.bearer(user["access_token"]),
    )
    assert out.status_code == 200, out.text
    assert "logout_time" in out.json()["data"]
    after = await stack.client.get("/api/users/me", headers=stack.bearer(user["access_token"]))
    assert after.status_code == 401
    assert after.headers["www-authenticate"] == "Bearer"
    dead = await stack.client.post(
        "/api/auth/refresh-token", json={"refresh_token": user["refresh_token"]}
    )
    assert dead.status_code == 401


async def test_concurrent_refresh_exactly_one_succeeds(stack: Stack) -> None:
    """Two refreshes with one token at once: exactly one 200."""
    user = await stack.register()
    body = {"refresh_token": user["refresh_token"]}
    answers = await asyncio.gather(
        stack.client.post("/api/auth/refresh-token", json=body),
        stack.client.post("/api/auth/refresh-token", json=body),
    )
    assert sorted(a.status_code for a in answers) == [200, 401]
