"""The insights answer cache without a server: keys, stamps, and Redis failures as misses."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from decimal import Decimal
from typing import Any

import orjson

from services.insights.answers import AnswerCache, answer_key
from services.insights.read.queries import Person
from shared.api import envelope
from shared.jsonutil import dumps

SOFIA = Person(zoneinfo.ZoneInfo("Europe/Sofia"), "Europe/Sofia", Decimal("3000.00"), "EUR")


class FakeRedis:
    """A dict with Redis's get/set, or one that fails every call."""

    def __init__(self, broken: bool = False) -> None:
        self.kept: dict[str, bytes] = {}
        self.broken = broken

    async def get(self, key: str) -> bytes | None:
        if self.broken:
            raise ConnectionError("down")
        return self.kept.get(key)

    async def set(self, key: str, value: bytes, ex: int) -> None:
        if self.broken:
            raise ConnectionError("down")
        assert ex == 60
        self.kept[key] = value


def key(**over: Any) -> str:
    """A key with one part changed."""
    parts: dict[str, Any] = {
        "prefix": "p", "user": uuid.UUID(int=1), "mark": 7, "person": SOFIA,
        "today": dt.date(2026, 12, 2), "path": "/behavior/patterns",
        "query": [("year", "2026"), ("month", "12")],
    } | over  # fmt: skip
    return answer_key(**parts)


def test_the_key_moves_with_everything_an_answer_depends_on() -> None:
    base = key()
    assert base.startswith(f"p:answers:{uuid.UUID(int=1)}:7:")
    assert key(query=[("month", "12"), ("year", "2026")]) == base  # order of the query
    others = [
        key(user=uuid.UUID(int=2)), key(mark=8), key(today=dt.date(2026, 12, 3)),
        key(path="/behavior/anomalies"), key(query=[("year", "2026"), ("month", "11")]),
        key(person=Person(SOFIA.zone, "Europe/Sofia", Decimal("3100.00"), "EUR")),
        key(person=Person(SOFIA.zone, "Europe/Sofia", SOFIA.income, "BGN")),
        key(person=Person(dt.UTC, "UTC", SOFIA.income, "EUR")),
    ]  # fmt: skip
    assert len({base, *others}) == len(others) + 1


async def test_a_hit_is_the_body_stamped_for_its_own_request() -> None:
    cache = AnswerCache(FakeRedis(), "p", 60)
    body = dumps({"note": "timestamp", **envelope({"amount": Decimal("12.50"), "n": 1.5})})
    await cache.put("k", body)
    hit = await cache.get("k")
    assert hit is not None
    sent, again = orjson.loads(body), orjson.loads(hit)
    assert b'"amount":12.50' in hit  # money bytes untouched
    assert {k: v for k, v in again.items() if k not in ("timestamp", "request_id")} == {
        k: v for k, v in sent.items() if k not in ("timestamp", "request_id")
    }
    assert again["request_id"] != sent["request_id"]
    assert again["timestamp"] >= sent["timestamp"]
    assert await cache.get("missing") is None


async def test_redis_down_or_foreign_entries_are_misses() -> None:
    down = AnswerCache(FakeRedis(broken=True), "p", 60)
    await down.put("k", dumps(envelope([])))  # no error
    assert await down.get("k") is None
    redis = FakeRedis()
    redis.kept["k"] = b'{"data": 1}'
    assert await AnswerCache(redis, "p", 60).get("k") is None
