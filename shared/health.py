"""Dependency checks for /ready and /health."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

from shared import db, kafka
from shared.settings import MitaSettings


async def redis_ping(url: str) -> bool:
    """Return whether Redis/Valkey answers PING."""
    client = aioredis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    try:
        return bool(await client.ping())
    except Exception:
        return False
    finally:
        await client.aclose()


async def check_all(settings: MitaSettings) -> dict[str, bool]:
    """Check Postgres, Redis and the broker concurrently."""
    pg, rd, kf = await asyncio.gather(
        db.ping(settings.database_url),
        redis_ping(settings.redis_url),
        kafka.ping(settings.kafka_bootstrap),
    )
    return {"database": pg, "redis": rd, "kafka": kf}
