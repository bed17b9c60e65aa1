"""Dependency checks for /ready and /health, and whether the read side has warmed up."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

from shared import db, kafka, watermarks
from shared.settings import SERVICES, MitaSettings
from shared.sources import SourceTable, store_head


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


class ReadSide:
    """Whether a service's consumers (projections and policies) have caught up with the stores
    as they stood when first asked — a restart's backlog. Once true it stays true: under load
    a read model is always a little behind, which is not warming up."""

    def __init__(self, settings: MitaSettings, service: str) -> None:
        self.settings = settings
        self.prefix = f"{settings.schema_for(service)}."
        self.targets: dict[str, int] | None = None
        self.caught_up = False

    async def behind(self) -> list[str]:
        """The consumers still short of the heads first seen ([] once caught up)."""
        if self.caught_up:
            return []
        conn = await db.connect(self.settings.database_url)
        try:
            sources = {s: SourceTable(s, self.settings.schema_for(s)) for s in SERVICES}
            if self.targets is None:
                self.targets = {s: await store_head(conn, src) for s, src in sources.items()}
            lagging: list[str] = []
            for service, head in self.targets.items():
                schema = sources[service].schema
                lagging += await watermarks.behind(conn, schema, self.prefix, head)
        finally:
            await conn.close()
        self.caught_up = not lagging
        return sorted(set(lagging))
