"""The transactions half of the mobile contract, through the gateway to the ledger."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest_asyncio
from psycopg import sql

from services.gateway.main import create_app as create_gateway
from shared import db
from tests.conftest import Infra
from tests.e2e.conftest import Stack, open_stack, running
from tests.e2e.owasp_support import assert_error, forge
from tests.helpers import wait_until

JSON = dict[str, Any]
OBJECT_KEYS = {
    "id", "user_id", "category", "amount", "currency", "description", "merchant", "location",
    "tags", "notes", "is_recurring", "confidence_score", "receipt_url", "goal_id", "spent_at",
    "created_at", "updated_at",
}  # fmt: skip


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def tx_stack(infra: Infra) -> AsyncIterator[Stack]:
    """One stack for the module (every test registers its own users)."""
    async with open_stack(
        infra, rate_limit_per_minute=10_000, auth_rate_limit_per_minute=10_000
    ) as stack:
        yield stack


async def user(stack: Stack, **extra: Any) -> dict[str, str]:
    """A fresh user's bearer header."""
    return stack.bearer((await stack.register(**extra))["access_token"])


async def create(stack: Stack, headers: dict[str, str], **fields: Any) -> JSON:
    """POST a transaction (42.00 food unless told); return ``data``."""
    body = {"amount": 42.00, "category": "food", **fields}
    answer = await stack.client.post("/api/transactions/", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    data: JSON = answer.json()["data"]
    return data


async def listed(stack: Stack, headers: dict[str, str], **params: Any) -> list[JSON]:
    """GET the caller's transactions."""
    answer = await stack.client.get("/api/transactions", params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    data: list[JSON] = answer.json()["data"]
    return data


async def recorded_events(stack: Stack) -> int:
    """How many TransactionRecorded events the ledger store holds."""
    conn = await db.connect(stack.ledger_settings.database_url)
    try:
        cur = await conn.execute(
            sql.SQL("SELECT count(*) AS n FROM {}.ledger_events WHERE topic LIKE %s").format(
                sql.Identifier(stack.ledger_settings.schema_for("ledger"))
            ),
            ("%Transaction.Recorded",),
        )
        row = await cur.fetchone()
        return int(row["n"]) if row else 0
    finally:
        await conn.close()


async def test_create_get_list_amend_move_delete(tx_stack: Stack) -> None:
    """42.00 food → get → list → amount 100 → category moved → delete → 404 everywhere."""
    stack = tx_stack
    me = await stack.register()
    headers = stack.bearer(me["access_token"])
    answer = await stack.client.post(
        "/api/transactions/",
        json={"amount": 42.00, "category": "food", "description": "lunch", "tags": ["work"]},
        headers=headers,
    )
    assert answer.status_code == 201, answer.text
    assert '"amount":42.00' in answer.text
    body = answer.json()
    tx = body["data"]
    assert set(tx) == OBJECT_KEYS | {"rebalanced", "rebalance_covered", "rebalance_fully_covered"}
    assert (tx["rebalanced"], tx["rebalance_covered"], tx["rebalance_fully_covered"]) == (
        False,
        0,
        False,
    )
    assert body["meta"]["balance_impact"] == {
        "category": "food",
        "amount": 42.0,
        "remaining_budget": None,
        "budget_exceeded": False,
    }
    assert tx["user_id"] == me["user"]["id"]
    assert (tx["amount"], tx["currency"], tx["tags"], tx["is_recurring"]) == (
        42,
        "USD",
        ["work"],
        False,
    )
    assert tx["created_at"] == tx["updated_at"]  # one event so far
    assert tx["spent_at"]
    url = f"/api/transactions/{tx['id']}"
    got = await stack.client.get(url, headers=headers)
    assert got.status_code == 200, got.text
    assert got.json()["data"] == {k: tx[k] for k in OBJECT_KEYS}
    assert [t["id"] for t in await listed(stack, headers)] == [tx["id"]]

    amended = await stack.client.put(url, json={"amount": 100}, headers=headers)
    assert amended.status_code == 200, amended.text
    assert '"amount":100.00' in amended.text
    assert amended.json()["data"]["category"] == "food"
    moved = await stack.client.put(url + "/", json={"category": "dining"}, headers=headers)
    assert moved.status_code == 200, moved.text
    assert (moved.json()["data"]["category"], moved.json()["data"]["amount"]) == ("dining", 100)
    assert moved.json()["data"]["updated_at"] > tx["updated_at"]
    assert await listed(stack, headers, category="food") == []
    assert [t["id"] for t in await listed(stack, headers, category="dining")] == [tx["id"]]

    deleted = await stack.client.delete(url, headers=headers)
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["data"] == {"deleted": True, "transaction_id": tx["id"]}
    assert_error(await stack.client.get(url, headers=headers), 404)
    assert_error(await stack.client.put(url, json={"amount": 1}, headers=headers), 404)
    assert_error(await stack.client.delete(url, headers=headers), 404)
    assert await listed(stack, headers) == []


async def test_idempotency_key_retry_returns_the_first(tx_stack: Stack) -> None:
    """Same key → 201 with the same id and nothing appended, also for concurrent retries."""
    stack = tx_stack
    headers = await user(stack)
    keyed = {**headers, "Idempotency-Key": f"k-{uuid.uuid4()}"}
    first = await create(stack, keyed, amount=12.5, merchant="Cafe")
    before = await recorded_events(stack)
    again = await create(stack, keyed, amount=99, category="travel")
    assert again["id"] == first["id"]
    assert (again["amount"], again["category"]) == (12.5, "food")
    assert await recorded_events(stack) == before
    # Concurrent first attempts with one fresh key: one transaction, every answer names it.
    racing = {**headers, "Idempotency-Key": f"race-{uuid.uuid4()}"}
    answers = await asyncio.gather(*(create(stack, racing, amount=3) for _ in range(5)))
    assert len({a["id"] for a in answers}) == 1
    assert await recorded_events(stack) == before + 1
    assert len(await listed(stack, headers)) == 2
    # Another user's identical key is another transaction.
    assert (
        await create(stack, {**(await user(stack)), "Idempotency-Key": keyed["Idempotency-Key"]})
    )["id"] != first["id"]
    bad = await stack.client.post(
        "/api/transactions", json={"amount": 1, "category": "food"},
        headers={**headers, "Idempotency-Key": "x" * 300},
    )  # fmt: skip
    assert_error(bad, 422)


async def test_another_users_transaction_is_not_found(tx_stack: Stack) -> None:
    """B gets 404 on A's transaction for GET, PUT and DELETE; A's stays intact."""
    stack = tx_stack
    alice, bob = await user(stack), await user(stack)
    tx = await create(stack, alice, description="alice's")
    url = f"/api/transactions/{tx['id']}"
    assert_error(await stack.client.get(url, headers=bob), 404)
    assert_error(await stack.client.put(url, json={"amount": 1}, headers=bob), 404)
    assert_error(await stack.client.delete(url, headers=bob), 404)
    assert await listed(stack, bob) == []
    kept = await stack.client.get(url, headers=alice)
    assert (kept.json()["data"]["amount"], kept.json()["data"]["description"]) == (42, "alice's")


async def test_validation_errors(tx_stack: Stack) -> None:
    """Amount 0, three decimals, an unknown category, a bad confidence, a bad zone → 422; an id
    that is not a uuid names no route (404); server-owned fields in a body are ignored."""
    stack = tx_stack
    headers = await user(stack)
    cases: list[tuple[JSON, str]] = [
        ({"amount": 0, "category": "food"}, "amount"),
        ({"amount": 1.005, "category": "food"}, "amount"),
        ({"amount": -5, "category": "food"}, "amount"),
        ({"amount": 5, "category": "lottery"}, "category"),
        ({"category": "food"}, "amount"),
        ({"amount": 5, "category": "food", "confidence_score": 1.5}, "confidence_score"),
        ({"amount": 5, "category": "food", "spent_at": "1800-01-01T00:00:00Z"}, "spent_at"),
    ]
    for payload, field in cases:
        answer = await stack.client.post("/api/transactions", json=payload, headers=headers)
        errors = assert_error(answer, 422)["error"]["details"]["validation_errors"]
        assert field in {e["field"] for e in errors}, (payload, errors)
    someone = str(uuid.uuid4())
    tx = await create(stack, headers, user_id=someone, id=someone, version=99, deleted=True)
    assert (tx["user_id"], tx["id"]) != (someone, someone)
    url = f"/api/transactions/{tx['id']}"
    assert (await stack.client.get(url, headers=headers)).status_code == 200
    for payload in ({"amount": 0}, {"amount": 2.345}, {"category": "nope"}):
        assert_error(await stack.client.put(url, json=payload, headers=headers), 422)
    zone = {**headers, "X-User-Timezone": "Mars/Olympus"}
    assert_error(await stack.client.get("/api/transactions", headers=zone), 422)
    for method in ("GET", "PUT", "DELETE"):
        answer = await stack.client.request(method, "/api/transactions/not-a-uuid", headers=headers)
        assert_error(answer, 404)
    assert await recorded_events(stack) >= 1
    assert [t["amount"] for t in await listed(stack, headers)] == [42]


async def test_user_local_days(tx_stack: Stack) -> None:
    """23:30 in Sofia is listed on that Sofia day; 00:30 the next Sofia day is not."""
    stack = tx_stack
    headers = await user(stack)
    late = await create(stack, headers, spent_at="2024-03-10T23:30:00+02:00")
    early = await create(stack, headers, spent_at="2024-03-11T00:30:00+02:00")
    sofia = {**headers, "X-User-Timezone": "Europe/Sofia"}
    day = {"start_date": "2024-03-10", "end_date": "2024-03-10"}
    assert [t["id"] for t in await listed(stack, sofia, **day)] == [late["id"]]
    nxt = {"start_date": "2024-03-11", "end_date": "2024-03-11"}
    assert [t["id"] for t in await listed(stack, sofia, **nxt)] == [early["id"]]
    # In UTC both happened on the 10th (21:30Z and 22:30Z), newest first.
    assert [t["id"] for t in await listed(stack, headers, **day)] == [early["id"], late["id"]]
    # A wall-clock time without an offset is read in the caller's zone.
    naive = await create(stack, sofia, spent_at="2024-03-12T23:30:00")
    assert naive["spent_at"].startswith("2024-03-12T21:30:00")
    assert_error(
        await stack.client.get(
            "/api/transactions", params={"start_date": "2024-03-12", "end_date": "2024-03-01"},
            headers=headers,
        ),
        422,
    )  # fmt: skip


async def test_profile_timezone_and_currency_are_the_defaults(tx_stack: Stack) -> None:
    """Without the header the profile's zone is used; without a currency, the profile's."""
    stack = tx_stack
    headers = await user(stack, timezone="Europe/Sofia")
    patched = await stack.client.patch("/api/users/me", json={"currency": "eur"}, headers=headers)
    assert patched.status_code == 200, patched.text
    early = await create(stack, headers, spent_at="2024-03-11T00:30:00+02:00", currency="GBP")
    assert early["currency"] == "GBP"
    day = {"start_date": "2024-03-11", "end_date": "2024-03-11"}

    async def known() -> bool:
        return [t["id"] for t in await listed(stack, headers, **day)] == [early["id"]]

    await wait_until(known, 30, "the ledger to learn the profile's timezone")
    assert (await create(stack, headers))["currency"] == "EUR"


async def test_merchant_suggestions_and_paging(tx_stack: Stack) -> None:
    """The caller's merchants by frequency, prefix match in any case; limits are clamped."""
    stack = tx_stack
    headers, other = await user(stack), await user(stack)
    for merchant in ("Lidl", "Lidl", "lidl", "Billa", "Billa", "Lavazza", "Lid_x", ""):
        await create(stack, headers, merchant=merchant)
    await create(stack, other, merchant="Lotto")
    url = "/api/transactions/merchants/suggestions"

    async def suggest(**params: Any) -> list[str]:
        answer = await stack.client.get(url, params=params, headers=headers)
        assert answer.status_code == 200, answer.text
        names: list[str] = answer.json()["data"]
        return names

    assert await suggest(q="l") == ["lidl", "Lid_x", "Lavazza"]  # ties: most recent first
    assert await suggest(q="LID_") == ["Lid_x"]
    assert await suggest(limit=2) == ["lidl", "Billa"]
    assert await suggest(q="lotto") == []
    assert len(await suggest(limit=0)) == 1
    page = await stack.client.get(
        "/api/transactions", params={"skip": 2, "limit": 5000}, headers=headers
    )
    assert page.json()["meta"]["limit"] == 1000
    assert len(page.json()["data"]) == 6
    assert len(await listed(stack, headers, limit=0)) == 1
    total = sum(Decimal(str(t["amount"])) for t in await listed(stack, headers))
    assert total == Decimal("336")


async def test_ledger_checks_the_bearer_itself(tx_stack: Stack) -> None:
    """Called directly (past the gateway): no, forged-type or scopeless tokens are refused."""
    stack = tx_stack
    me = await stack.register()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(stack.ledger), base_url="http://ledger"
    ) as ledger:
        assert_error(await ledger.get("/transactions"), 401)
        refresh = stack.bearer(me["refresh_token"])
        assert_error(await ledger.get("/transactions", headers=refresh), 401)
        scopeless = stack.bearer(forge(stack, me["access_token"], scopes=["read:transactions"]))
        assert_error(await ledger.post("/transactions", json={}, headers=scopeless), 403)
        headers = stack.bearer(me["access_token"])
        zone = {**headers, "X-User-Timezone": "Nowhere/City"}
        assert_error(await ledger.get("/transactions", headers=zone), 422)
        body = {"amount": "5", "category": "food"}
        bad_key = {**headers, "Idempotency-Key": "has space"}
        assert_error(await ledger.post("/transactions", json=body, headers=bad_key), 422)
        assert (await ledger.get("/transactions", headers=headers)).json()["data"] == []


async def test_a_write_succeeds_when_the_budget_cannot_answer(tx_stack: Stack) -> None:
    """The budget down (503) or unreachable: the transaction is recorded all the same (201,
    neutral budget fields), an amend and a delete answer 200; nothing is half-applied."""
    stack = tx_stack
    headers = await user(stack)

    def down(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, json={"success": False, "error": {"message": "down"}})

    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("budget unreachable", request=request)

    for budget in (down, unreachable):
        transports = {
            "auth": httpx.ASGITransport(stack.auth),
            "ledger": httpx.ASGITransport(stack.ledger),
            "budget": httpx.MockTransport(budget),
        }
        gateway = create_gateway(stack.gateway_settings, transports=transports)
        async with (
            running(gateway),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(gateway), base_url="http://testserver"
            ) as client,
        ):
            answer = await client.post(
                "/api/transactions/", json={"amount": "9.99", "category": "food"}, headers=headers
            )
            assert answer.status_code == 201, answer.text
            body = answer.json(parse_float=Decimal)
            tx = body["data"]
            assert (tx["rebalanced"], tx["rebalance_covered"]) == (False, 0)
            assert body["meta"]["balance_impact"] == {
                "category": "food",
                "amount": Decimal("9.99"),
                "remaining_budget": None,
                "budget_exceeded": False,
            }
            path = f"/api/transactions/{tx['id']}"
            changed = await client.put(path, json={"amount": "10.50"}, headers=headers)
            assert changed.status_code == 200, changed.text
            assert changed.json(parse_float=Decimal)["data"]["amount"] == Decimal("10.50")
            assert (await client.delete(path, headers=headers)).status_code == 200
            assert_error(await client.get(path, headers=headers), 404)
