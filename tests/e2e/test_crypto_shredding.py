"""Crypto-shredding end to end: personal fields are sealed in the stores and on the topics,
open for the living account, and unreadable everywhere once the account is deleted — while
amounts and dates still replay, rebuilds included."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import httpx
from psycopg import sql

from services.ledger.application import LedgerApplication
from services.ledger.domain import Transaction
from shared import db
from shared.crypto import SEALED, keys_table
from tests.e2e.conftest import STRONG_PASSWORD, Stack
from tests.helpers import wait_until

JSON = dict[str, Any]
SECRETS = ("Corner Bakery", "croissant with Bob", "Vitosha 12")


def data(answer: httpx.Response, status: int = 200) -> Any:
    """The envelope's data (numbers as Decimal)."""
    assert answer.status_code == status, answer.text
    return answer.json(parse_float=Decimal)["data"]


async def stored_states(stack: Stack, service: str) -> bytes:
    """Every stored event state of a service's store, concatenated."""
    schema = stack.ledger_settings.schema_for(service)
    conn = await db.connect(stack.ledger_settings.database_url)
    try:
        cur = await conn.execute(
            sql.SQL("SELECT state FROM {}.{}").format(
                sql.Identifier(schema), sql.Identifier(f"{service}_events")
            )
        )
        return b"".join(bytes(r["state"]) for r in await cur.fetchall())
    finally:
        await conn.close()


async def key_state(stack: Stack, user: str) -> str:
    """``live``, ``shredded`` or ``none`` for a user's data key."""
    conn = await db.connect(stack.ledger_settings.database_url)
    try:
        cur = await conn.execute(
            sql.SQL("SELECT wrapped IS NULL AS gone FROM {} WHERE user_id = %s").format(
                keys_table(stack.ledger_settings.keys_schema())
            ),
            (uuid.UUID(user),),
        )
        row = await cur.fetchone()
        return "none" if row is None else "shredded" if row["gone"] else "live"
    finally:
        await conn.close()


async def exported(stack: Stack, admin: dict[str, str], user: str) -> list[JSON]:
    """The user's ledger events as the admin export gives them (JSONL)."""
    import json

    params = {"service": "ledger", "user_id": user}
    answer = await stack.client.get("/api/admin/events/export", params=params, headers=admin)
    assert answer.status_code == 200, answer.text
    return [json.loads(line, parse_float=Decimal) for line in answer.text.splitlines()]


async def test_a_deleted_account_leaves_only_numbers_behind(
    ops_stack: tuple[Stack, dict[str, str]],
) -> None:
    stack, admin = ops_stack
    email = f"ada-{uuid.uuid4().hex[:8]}@example.com"
    me = await stack.register(email=email, name="Ada Lovelace")
    user, headers = str(me["user"]["id"]), stack.bearer(me["access_token"])
    body = {"amount": 12.5, "category": "food", "merchant": SECRETS[0],
            "description": SECRETS[1], "location": SECRETS[2]}  # fmt: skip
    tx = data(await stack.client.post("/api/transactions/", json=body, headers=headers), 201)
    assert (tx["merchant"], tx["description"]) == (SECRETS[0], SECRETS[1])

    # Sealed at rest: neither store holds the personal values, only tokens.
    ledger_raw, auth_raw = await stored_states(stack, "ledger"), await stored_states(stack, "auth")
    assert SEALED.encode() in ledger_raw
    assert not any(secret.encode() in ledger_raw for secret in SECRETS)
    assert email.encode() not in auth_raw
    assert b"Ada Lovelace" not in auth_raw
    assert await key_state(stack, user) == "live"

    # The living account reads everything: the app's list, the analysts' export.
    listed = data(await stack.client.get("/api/transactions/", headers=headers))
    assert (listed[0]["merchant"], listed[0]["location"]) == (SECRETS[0], SECRETS[2])
    assert data(await stack.client.get("/api/users/me", headers=headers))["email"] == email
    opened = await exported(stack, admin, user)
    recorded = next(e for e in opened if e["type"] == "ledger.TransactionRecorded")
    assert recorded["payload"]["merchant"] == SECRETS[0]

    # Kafka's copies are the stored ones: sealed.
    async def on_topic() -> bool:
        params: dict[str, str | int] = {"service": "ledger", "last": 200}
        tail = data(await stack.client.get("/api/admin/events/tail", params=params, headers=admin))
        mine = [e for e in tail if e["aggregate_id"] == tx["id"]]
        return bool(mine) and str(mine[0]["payload"]["merchant"]).startswith(SEALED)

    await wait_until(on_topic, 30, "the transaction's copy on the ledger topic")

    gone = await stack.client.request(
        "DELETE", "/api/auth/delete-account", json={"password": STRONG_PASSWORD}, headers=headers
    )
    assert gone.status_code == 200, gone.text

    async def shredded() -> bool:
        return await key_state(stack, user) == "shredded"

    await wait_until(shredded, 30, "the account's data key to be shredded")

    # Exports: the numbers stay, the personal values are gone.
    after = await exported(stack, admin, user)
    assert [e["event_id"] for e in after] == [e["event_id"] for e in opened]
    recorded = next(e for e in after if e["type"] == "ledger.TransactionRecorded")
    assert (recorded["payload"]["merchant"], recorded["payload"]["description"]) == ("", "")
    assert Decimal(recorded["payload"]["amount"]) == Decimal("12.5")

    # A rebuilt read model (blue/green, in SQL) and a scratch replay replay the numbers only.
    path = "/api/admin/projections/ledger_transactions/rebuild"
    data(await stack.client.post(path, headers=admin), 202)

    async def rebuilt() -> bool:
        job = data(await stack.client.get(path, headers=admin))
        assert job["phase"] != "failed", job
        return job["finished_at"] is not None

    await wait_until(rebuilt, 60, "the rebuild")
    view = data(await stack.client.get(f"/api/admin/users/{user}/budget", headers=admin))
    (row,) = view["ledger"]["transactions"]
    assert (row["merchant"], row["description"], row["location"]) == ("", "", "")
    assert row["amount"] == Decimal("12.5")
    replay = {"projection": "ledger_transactions", "name": "shredded", "user_id": user}
    assert data(await stack.client.post("/api/admin/events/replay", json=replay,
                                        headers=admin))["events"] >= 1  # fmt: skip
    await stack.client.delete("/api/admin/events/replay/shredded", headers=admin)
    conn = await db.connect(stack.ledger_settings.database_url)
    try:
        cur = await conn.execute(
            sql.SQL(
                "SELECT merchant, description, amount FROM {}.transactions WHERE id = %s"
            ).format(sql.Identifier(stack.ledger_settings.schema_for("ledger"))),
            (uuid.UUID(tx["id"]),),
        )
        assert await cur.fetchone() == {
            "merchant": "",
            "description": "",
            "amount": Decimal("12.50"),
        }
    finally:
        await conn.close()

    # The aggregate still loads (a fresh write model: no key cached), its numbers intact.
    fresh = LedgerApplication.from_settings(stack.ledger_settings)
    try:
        loaded: Transaction = fresh.repository.get(uuid.UUID(tx["id"]))
        assert (loaded.merchant, loaded.amount) == ("", Decimal("12.50"))
    finally:
        fresh.close()
