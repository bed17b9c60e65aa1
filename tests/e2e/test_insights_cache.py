"""The heavy insights reads' answer cache, through the gateway: a cached answer is served while
the caller's spending stands still, and new, changed or deleted spending is seen at once."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import redis.asyncio as aioredis

from tests.conftest import Infra
from tests.e2e.conftest import Stack
from tests.e2e.test_app_calls import data
from tests.e2e.test_insights import SOFIA, insights_stack, settled, user_with_spending

__all__ = ["insights_stack"]


def subject(headers: dict[str, str]) -> str:
    """The user id inside a bearer token."""
    claims = headers["Authorization"].split()[1].split(".")[1]
    sub: str = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))["sub"]
    return sub


async def seasons(stack: Stack, headers: dict[str, str]) -> dict[str, Any]:
    """The raw seasonal-patterns body."""
    answer = await stack.client.get("/api/analytics/seasonal-patterns", headers=headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def payload(body: dict[str, Any]) -> dict[str, Any]:
    """A body without its per-request stamps."""
    return {k: v for k, v in body.items() if k not in ("timestamp", "request_id")}


async def test_cached_answers_move_with_the_callers_spending(
    insights_stack: Stack, infra: Infra
) -> None:
    stack = insights_stack
    headers, known = await user_with_spending(stack)
    await settled(stack, headers, "200.75")
    this, before = str(known["first"].month), str(known["previous"].month)
    first = await seasons(stack, headers)
    assert (first["monthly_patterns"][this], first["monthly_patterns"][before]) == (1.11, 0.89)
    redis = aioredis.Redis.from_url(infra.redis_url)
    try:
        user = subject(headers)
        (key,) = [k async for k in redis.scan_iter(match=f"*:answers:{user}:*")]
        # Served from the cache while nothing moved: a figure changed in Redis comes back.
        kept = await redis.get(key)
        assert isinstance(kept, bytes)
        assert f'"{this}":1.11'.encode() in kept
        await redis.set(key, kept.replace(f'"{this}":1.11'.encode(), f'"{this}":9.99'.encode()),
                        keepttl=True)  # fmt: skip
        served = await seasons(stack, headers)
        assert served["monthly_patterns"][this] == served["data"]["monthly_patterns"][this] == 9.99
        # ... stamped for its own request.
        assert served["request_id"] != first["request_id"]
        assert served["timestamp"] > first["timestamp"]
        # New spending this month: the mark moves, the answer is computed again.
        at = dt.datetime.combine(known["first"], dt.time(12, 0), SOFIA).astimezone(dt.UTC)
        body = {"amount": 100.0, "category": "dining", "spent_at": at.isoformat()}
        created = data(
            await stack.client.post("/api/transactions/", json=body, headers=headers), 201
        )
        await settled(stack, headers, "300.75")
        moved = await seasons(stack, headers)
        # 300.75 and 160.00 around their mean of 230.375.
        assert (moved["monthly_patterns"][this], moved["monthly_patterns"][before]) == (1.31, 0.69)
        # Changed, then deleted: each seen at once.
        path = f"/api/transactions/{created['id']}"
        data(await stack.client.put(path, json={"amount": 39.25}, headers=headers))
        await settled(stack, headers, "240.00")
        changed = await seasons(stack, headers)
        assert changed["monthly_patterns"][this] == 1.2  # 240.00 against a mean of 200.00
        data(await stack.client.delete(path, headers=headers))
        await settled(stack, headers, "200.75")
        assert payload(await seasons(stack, headers)) == payload(first)
        # Every version of the answer was kept under its own mark.
        assert len([k async for k in redis.scan_iter(match=f"*:answers:{user}:*")]) == 4
    finally:
        await redis.aclose()
