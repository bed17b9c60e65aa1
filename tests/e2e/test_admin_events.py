"""The operators' event tools through the gateway: streams, tails, exports, scratch replays,
projection lag, blue/green rebuilds under load and dead letters."""

from __future__ import annotations

import asyncio
import io
import json
import time
from decimal import Decimal
from typing import Any

import httpx
import pyarrow.parquet as pq

from tests.e2e.conftest import Stack
from tests.e2e.owasp_support import assert_error
from tests.helpers import wait_until

JSON = dict[str, Any]
RECORDED = "ledger.TransactionRecorded"


def data(answer: httpx.Response, status: int = 200) -> Any:
    """The envelope's data (numbers as Decimal)."""
    assert answer.status_code == status, answer.text
    return answer.json(parse_float=Decimal)["data"]


async def spender(stack: Stack, amounts: list[float]) -> tuple[str, dict[str, str]]:
    """A fresh user who recorded ``amounts`` (food)."""
    me = await stack.register()
    headers = stack.bearer(me["access_token"])
    for amount in amounts:
        body = {"amount": amount, "category": "food"}
        data(await stack.client.post("/api/transactions/", json=body, headers=headers), 201)
    return str(me["user"]["id"]), headers


async def test_streams_tail_and_exports(ops_stack: tuple[Stack, dict[str, str]]) -> None:
    stack, admin = ops_stack
    user, _ = await spender(stack, [12.5, 7.25, 3])
    streams = {s["service"]: s for s in data(await stack.client.get(
        "/api/admin/events/streams", headers=admin))}  # fmt: skip
    ledger = streams["ledger"]
    assert ledger["topic"].endswith(".ledger.events")
    assert ledger["types"][RECORDED] >= 3
    assert ledger["events"] == sum(ledger["types"].values())
    assert ledger["head"] >= ledger["events"]
    assert {"auth", "ledger", "budget"} <= set(streams)

    async def tailed() -> bool:
        tail: dict[str, str | int] = {"service": "ledger", "last": 50}
        got = data(await stack.client.get("/api/admin/events/tail", params=tail, headers=admin))
        return sum(1 for e in got if e["user_id"] == user and e["type"] == RECORDED) == 3

    await wait_until(tailed, 30, "the user's events on the ledger topic")
    merged = data(await stack.client.get("/api/admin/events/tail", headers=admin))
    assert 0 < len(merged) <= 20
    assert_error(
        await stack.client.get("/api/admin/events/tail", params={"service": "x"}, headers=admin),
        422,
    )

    params = {"service": "ledger", "user_id": user, "type": RECORDED}
    answer = await stack.client.get("/api/admin/events/export", params=params, headers=admin)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/x-ndjson")
    assert "attachment" in answer.headers["content-disposition"]
    lines = [json.loads(line) for line in answer.text.splitlines()]
    assert answer.headers["x-mita-event-count"] == "3"
    assert sorted(Decimal(x["payload"]["amount"]) for x in lines) == [
        Decimal("3"), Decimal("7.25"), Decimal("12.5")]  # fmt: skip
    answer = await stack.client.get(
        "/api/admin/events/export", params={**params, "format": "parquet"}, headers=admin
    )
    assert answer.status_code == 200, answer.text
    table = pq.read_table(io.BytesIO(answer.content))
    assert table.num_rows == 3
    assert set(table.column("type").to_pylist()) == {RECORDED}
    everything = await stack.client.get(
        "/api/admin/events/export", params={"user_id": user}, headers=admin
    )
    assert int(everything.headers["x-mita-event-count"]) > 3  # auth's events of the user too
    window: dict[str, str | int] = {"after_position": 10**12, "service": "ledger"}
    empty = await stack.client.get("/api/admin/events/export", params=window, headers=admin)
    assert (empty.status_code, empty.text) == (200, "")
    for bad in ({"service": "nope"}, {"format": "csv"}, {"since": "tomorrow"}):
        assert_error(
            await stack.client.get("/api/admin/events/export", params=bad, headers=admin), 422
        )


async def test_a_scratch_replay_and_projection_lag(ops_stack: tuple[Stack, dict[str, str]]) -> None:
    stack, admin = ops_stack
    user, headers = await spender(stack, [40, 2])
    body = {"projection": "ledger_transactions", "name": "e2e_scratch", "user_id": user,
            "timestamp": "ignored"}  # fmt: skip
    done = data(await stack.client.post("/api/admin/events/replay", json=body, headers=admin))
    assert (done["projection"], done["events"]) == ("ledger_transactions", 2)
    assert done["schema_name"].endswith("scratch_e2e_scratch")
    # Production answers as before: the replay wrote only its own schema.
    listed = data(await stack.client.get("/api/transactions/", headers=headers))
    assert len(listed) == 2
    dropped = data(await stack.client.delete("/api/admin/events/replay/e2e_scratch", headers=admin))
    assert dropped == {"name": "e2e_scratch", "dropped": True}
    for bad in (
        {"projection": "budget_redistribution", "name": "x"},  # a policy decides: no replay
        {"projection": "ledger_transactions", "name": "Bad-Name"},
        {"projection": "ledger_transactions", "name": "x", "user_id": "not-a-uuid"},
    ):
        answer = await stack.client.post("/api/admin/events/replay", json=bad, headers=admin)
        assert_error(answer, 422)
    unknown = {"projection": "nope", "name": "x"}
    assert_error(
        await stack.client.post("/api/admin/events/replay", json=unknown, headers=admin), 404
    )

    async def caught_up() -> bool:
        rows = data(await stack.client.get("/api/admin/projections", headers=admin))
        mine = [r for r in rows if r["projection"] == "ledger_transactions"]
        return bool(mine) and all(r["lag_events"] == 0 for r in mine)

    await wait_until(caught_up, 30, "ledger_transactions to catch up")
    rows = data(await stack.client.get("/api/admin/projections", headers=admin))
    kinds = {r["projection"]: r["kind"] for r in rows}
    assert kinds["budget_redistribution"] == "policy"
    assert kinds["budget_days"] == "projection"
    assert all(r["lag_seconds"] >= 0 and r["dead_letters"] == 0 for r in rows)
    assert data(await stack.client.get("/api/admin/dead-letters", headers=admin)) == []
    one = await stack.client.get(
        "/api/admin/dead-letters", params={"projection": "budget_days"}, headers=admin
    )
    assert data(one) == []
    path = "/api/admin/dead-letters/ledger_transactions/ledger/1/redrive"
    assert_error(await stack.client.post(path, headers=admin), 404)


async def test_a_rebuild_through_the_api_serves_throughout(
    ops_stack: tuple[Stack, dict[str, str]],
) -> None:
    stack, admin = ops_stack
    user, headers = await spender(stack, [5] * 12)
    path = "/api/admin/projections/ledger_transactions/rebuild"
    answers: list[int] = []
    stop = asyncio.Event()

    async def load() -> None:
        """The app's list screen, read again and again while the rebuild runs."""
        while not stop.is_set():
            got = await stack.client.get("/api/transactions/", headers=headers)
            answers.append(len(data(got)) if got.status_code == 200 else -got.status_code)

    reading = asyncio.create_task(load())
    try:
        job = data(await stack.client.post(path, headers=admin), 202)
        assert job["projection"] == "ledger_transactions"
        again = await stack.client.post(path, headers=admin)
        if again.status_code != 202:  # it may already have finished
            assert_error(again, 409)
        deadline = time.monotonic() + 60
        while (job := data(await stack.client.get(path, headers=admin)))["finished_at"] is None:
            assert time.monotonic() < deadline, job
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await reading
    assert job["phase"] == "done", job
    assert job["events"] >= 12
    assert job["done"] == job["total"]
    assert answers
    assert all(n == 12 for n in answers), sorted(set(answers))
    assert_error(
        await stack.client.post("/api/admin/projections/budget_redistribution/rebuild",
                                headers=admin), 409)  # fmt: skip
    assert_error(await stack.client.get("/api/admin/projections/nope/rebuild", headers=admin), 404)
    assert_error(
        await stack.client.get("/api/admin/projections/budget_days/rebuild", headers=admin), 404
    )
    assert user
