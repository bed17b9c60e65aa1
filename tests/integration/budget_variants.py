"""Ways to feed the ``budget_days`` projection a stream (one by one, one batch, random
batches) and its rows, for tests that compare them."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from services.budget.read.projections import TABLES, BudgetDaysProjection
from shared.envelope import EventEnvelope
from shared.projections import apply_batch
from shared.rebuild import reset_read_model
from shared.relay import read_stored
from shared.settings import MitaSettings
from shared.sources import SourceTable
from shared.store import to_envelope
from tests.integration.budget_oracle import OneByOne

CATEGORIES = (
    "coffee", "dining", "groceries", "food", "taxi", "gas", "clothing", "rent", "utilities",
    "travel", "subscriptions", "other",
)  # fmt: skip
OFFSETS = (dt.UTC, dt.timezone(dt.timedelta(hours=9)), dt.timezone(dt.timedelta(hours=-5)))
Rows = list[list[str]]


def moment(rng: random.Random) -> dt.datetime:
    """A time near midnight (UTC or local) at the end of February to early April 2024."""
    day = dt.date(2024, 2, 27) + dt.timedelta(days=rng.randrange(37))
    hour = rng.choice((20, 21, 22, 23, 0, 1, 2, 3, 12))
    return dt.datetime.combine(day, dt.time(hour, rng.randrange(60)), tzinfo=rng.choice(OFFSETS))


async def stored(conn: AsyncConnection[DictRow], settings: MitaSettings) -> list[EventEnvelope]:
    """Both stores' events as the bus carries them, interleaved as they happened."""
    out: list[EventEnvelope] = []
    for service in ("budget", "ledger"):
        source = SourceTable(service, settings.schema_for(service))
        out += [to_envelope(service, p, s) for p, s in await read_stored(conn, source, 0, 10_000)]
    await conn.commit()
    return sorted(out, key=lambda e: (e.occurred_at, e.service, e.position))


async def everything(conn: AsyncConnection[DictRow], schema: str) -> Rows:
    """Every row of every table of the read model, sorted."""
    out: Rows = []
    for table in TABLES:
        cur = await conn.execute(
            sql.SQL("SELECT * FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
        )
        out.append(sorted(str(sorted(dict(r).items())) for r in await cur.fetchall()))
    await conn.commit()
    return out


async def fresh(
    conn: AsyncConnection[DictRow], settings: MitaSettings, variant: str
) -> BudgetDaysProjection:
    """The projection in a schema of its own, empty."""
    projection = BudgetDaysProjection(f"{settings.schema_prefix}days_{variant}")
    await reset_read_model(conn, projection)
    return projection


async def one_by_one(
    conn: AsyncConnection[DictRow], projection: BudgetDaysProjection, events: list[EventEnvelope]
) -> Rows:
    """(a) Each event through the one-by-one oracle, in its own transaction."""
    oracle = OneByOne(projection.schema)
    for event in events:
        if oracle.wants(event):
            async with conn.transaction():
                await oracle.apply(conn, event)
    return await everything(conn, projection.schema)


async def one_batch(
    conn: AsyncConnection[DictRow], projection: BudgetDaysProjection, events: list[EventEnvelope]
) -> Rows:
    """(b) The whole stream through one ``apply_many``."""
    async with conn.transaction():
        await projection.apply_many(conn, [e for e in events if projection.wants(e)])
    return await everything(conn, projection.schema)


async def random_batches(
    conn: AsyncConnection[DictRow],
    projection: BudgetDaysProjection,
    events: list[EventEnvelope],
    seed: int,
) -> tuple[Rows, list[list[EventEnvelope]]]:
    """(c) ``apply_batch`` over batches of random sizes (1 to 40); the rows and the batches."""
    rng = random.Random(seed)
    batches: list[list[EventEnvelope]] = []
    start = 0
    while start < len(events):
        batches.append(events[start : start + rng.randint(1, 40)])
        start += len(batches[-1])
        await apply_batch(conn, projection, batches[-1])
    return await everything(conn, projection.schema), batches


def mixes(batch: Sequence[EventEnvelope]) -> bool:
    """Whether the batch holds both budget and ledger events."""
    return {e.service for e in batch} == {"budget", "ledger"}
