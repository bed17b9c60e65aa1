"""A runner whose broker went quiet while the store moved on reads the missing events from the
store: nothing stays unapplied (a broker restarted empty can reuse offsets past a consumer's
position, so Kafka alone would skip them)."""

from __future__ import annotations

import asyncio
import uuid

from psycopg import AsyncConnection
from psycopg.rows import DictRow

from services.ledger.projections import TransactionsProjection
from shared.runner import ProjectionRunner
from shared.settings import MitaSettings
from tests.helpers import fold, ledger_app, read_model, seed, tracked, wait_until


async def test_events_kafka_never_delivers_are_read_from_the_store(
    settings: MitaSettings, conn: AsyncConnection[DictRow]
) -> None:
    """No relay runs, so the topic never gets the events stored after the runner started:
    once it has been quiet for a moment, the runner applies them from the store."""
    schema = settings.schema_for("ledger")
    app = ledger_app(settings)
    runner = ProjectionRunner(settings, TransactionsProjection(schema))
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        await asyncio.wait_for(runner.assigned.wait(), 60)
        ids: list[uuid.UUID] = []
        for _ in range(2):  # the second round finds the runner settled on its consumer
            ids += seed(app, [uuid.uuid4()], 30)
            head = app.head_position()

            async def applied() -> bool:
                # The runner counts a catch-up once it has recorded the watermarks after it.
                done = await tracked(conn, schema, runner.projection.name) == head  # noqa: B023
                return done and runner.caught_up_from_store == head  # noqa: B023

            await wait_until(applied, 30, "the store's events to be applied without Kafka")
        # None came through Kafka (nothing relayed): every one was read from the store.
        assert runner.healed_from_store > 0
        assert await read_model(conn, schema) == fold(app, ids)
    finally:
        stop.set()
        await task
        app.close()
