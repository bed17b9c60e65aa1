"""Admins act on accounts through the gateway: search, lock, unlock, revoke tokens — each an
event naming the admin, each on the audit log."""

from __future__ import annotations

import asyncio
import json
import logging
from decimal import Decimal
from typing import Any

import httpx
import pytest

from services.cli import main
from services.gateway.audit import AUDIT_LOGGER
from tests.e2e.conftest import STRONG_PASSWORD, Stack
from tests.e2e.owasp_support import assert_error
from tests.helpers import settings_env


def data(answer: httpx.Response, status: int = 200) -> Any:
    """The envelope's data (numbers as Decimal)."""
    assert answer.status_code == status, answer.text
    return answer.json(parse_float=Decimal)["data"]


async def login(stack: Stack, email: str) -> httpx.Response:
    """POST /api/auth/login with the test password."""
    body = {"email": email, "password": STRONG_PASSWORD}
    return await stack.client.post("/api/auth/login", json=body)


async def test_lock_unlock_and_revoke(
    ops_stack: tuple[Stack, dict[str, str]], caplog: pytest.LogCaptureFixture
) -> None:
    stack, admin = ops_stack
    me = await stack.register(name="Grace Hopper")
    user, headers = me["user"]["id"], stack.bearer(me["access_token"])
    found = data(await stack.client.get("/api/admin/users", params={"q": "grace hop"},
                                        headers=admin))  # fmt: skip
    assert [u["id"] for u in found] == [user]
    assert found[0]["locked"] is False
    assert data(await stack.client.get("/api/admin/users", params={"q": "%"}, headers=admin)) == []

    base = f"/api/admin/users/{user}"
    assert_error(await stack.client.post(f"{base}/lock", json={}, headers=admin), 422)
    assert_error(await stack.client.post(f"{base}/lock", json={"reason": "x"}, headers=headers),
                 403)  # fmt: skip
    with caplog.at_level(logging.INFO, logger=AUDIT_LOGGER):
        locked = data(await stack.client.post(f"{base}/lock", json={"reason": "chargeback fraud"},
                                              headers=admin))  # fmt: skip
    assert locked["locked"] is True
    records = [json.loads(r.getMessage()) for r in caplog.records if r.name == AUDIT_LOGGER]
    action = next(r for r in records if r["event"] == "admin.action")
    assert (action["action"], action["user"], action["status"]) == ("lock", user, 200)
    assert action["admin"] != user
    assert_error(await stack.client.get("/api/users/me", headers=headers), 401)  # tokens dead
    assert_error(await login(stack, me["email"]), 403, "account_locked")
    again = data(await stack.client.post(f"{base}/lock", json={"reason": "twice"}, headers=admin))
    assert again["locked"] is True
    listed = data(await stack.client.get("/api/admin/users", params={"q": me["email"]},
                                         headers=admin))  # fmt: skip
    assert listed[0]["locked"] is True

    assert data(await stack.client.post(f"{base}/unlock", headers=admin))["locked"] is False
    fresh = data(await login(stack, me["email"]))
    headers = stack.bearer(fresh["access_token"])
    assert (await stack.client.get("/api/users/me", headers=headers)).status_code == 200
    revoked = data(await stack.client.post(f"{base}/revoke-tokens", headers=admin))
    assert revoked["token_version"] > locked["token_version"]
    assert_error(await stack.client.get("/api/users/me", headers=headers), 401)
    assert (await login(stack, me["email"])).status_code == 200


async def test_admins_cannot_lock_themselves_or_strangers(
    ops_stack: tuple[Stack, dict[str, str]],
) -> None:
    stack, admin = ops_stack
    mine = data(await stack.client.get("/api/users/me", headers=admin))
    path = f"/api/admin/users/{mine['id']}/lock"
    assert_error(await stack.client.post(path, json={"reason": "oops"}, headers=admin), 409)
    stranger = "/api/admin/users/00000000-0000-4000-8000-000000000000/unlock"
    assert_error(await stack.client.post(stranger, headers=admin), 404)
    assert_error(await stack.client.post("/api/admin/users/not-a-uuid/unlock", headers=admin), 422)


async def test_mita_admin_grants_and_revokes(
    ops_stack: tuple[Stack, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    stack, _ = ops_stack
    for key, value in settings_env(stack.auth_settings).items():
        if key.startswith("MITA_"):
            monkeypatch.setenv(key, value)
    me = await stack.register()
    email = me["email"]
    plain = stack.bearer(me["access_token"])
    assert_error(await stack.client.get("/api/admin/users", headers=plain), 403)
    assert await asyncio.to_thread(main, ["admin", "grant", email]) == 0
    assert await asyncio.to_thread(main, ["admin", "grant", email]) == 0  # once is enough
    granted = stack.bearer(data(await login(stack, email))["access_token"])
    assert (await stack.client.get("/api/admin/users", headers=granted)).status_code == 200
    assert await asyncio.to_thread(main, ["admin", "revoke", email]) == 0
    assert_error(await stack.client.get("/api/admin/users", headers=granted), 401)  # now
    again = stack.bearer(data(await login(stack, email))["access_token"])
    assert_error(await stack.client.get("/api/admin/users", headers=again), 403)
    assert await asyncio.to_thread(main, ["admin", "grant", "nobody@example.com"]) == 1
