"""Answers of the heavy insights reads, cached in Redis under the caller's spending mark.

The key holds everything an answer depends on: the caller, the ledger position of their latest
spending event (``insights_spending``'s mark, so new, changed or deleted spending misses), what
the analytics know of them (zone, income, currency), their local day, the path and the query.
A short time to live bounds what the rolling windows' edges move within a day. Redis being
down only costs the cache: the answer is computed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
from typing import Any

import orjson

from services.insights.read.queries import Person
from shared.api import envelope
from shared.metrics import process_metrics

log = logging.getLogger(__name__)


def answer_key(
    prefix: str,
    user: uuid.UUID,
    mark: int,
    person: Person,
    today: dt.date,
    path: str,
    query: list[tuple[str, str]],
) -> str:
    """The cache key of one answer."""
    parts = [
        path, person.zone_name, str(person.income), str(person.currency), today.isoformat(),
        *(f"{k}={v}" for k, v in sorted(query)),
    ]  # fmt: skip
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
    return f"{prefix}:answers:{user}:{mark}:{digest}"


class AnswerCache:
    """Get and put answer bodies; every Redis failure reads as a miss."""

    def __init__(self, redis: Any, prefix: str, ttl_seconds: int) -> None:
        self.redis = redis
        self.prefix = prefix
        self.ttl_seconds = ttl_seconds

    async def get(self, key: str) -> bytes | None:
        """The cached body stamped for this request (its own time and request id), or None."""
        try:
            found = await self.redis.get(key)
        except Exception as exc:  # a cache outage must not fail the read
            log.warning("answer cache unavailable: %r", exc)
            return None
        process_metrics().cache_lookup("insights_answers", found is not None)
        if found is None:
            return None
        stamp, _, body = bytes(found).partition(b"\n")
        olds = stamp.decode(errors="replace").split(" ")
        if len(olds) != len(STAMPED) or not body:
            return None  # not an entry this code wrote: compute
        fresh = envelope(None)
        for field, old in zip(STAMPED, olds, strict=True):
            body = body.replace(_field(field, old), _field(field, fresh[field]))
        return body

    async def put(self, key: str, body: bytes) -> None:
        """Keep an envelope's body for the time to live, with the stamps to replace."""
        sent = orjson.loads(body)
        stamp = " ".join(str(sent[field]) for field in STAMPED).encode()
        try:
            await self.redis.set(key, stamp + b"\n" + body, ex=self.ttl_seconds)
        except Exception as exc:
            log.warning("answer cache unavailable: %r", exc)


# The envelope's per-request fields (compact JSON, as shared.jsonutil writes them).
STAMPED = ("timestamp", "request_id")


def _field(name: str, value: str) -> bytes:
    return f'"{name}":"{value}"'.encode()
