"""Dead letters on real Postgres and the broker: a poison event is dead-lettered by the
runner, listed with the error its topic keeps, and re-driven from its store once fixed."""

from __future__ import annotations

import uuid
from typing import ClassVar

import pytest
from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from services.ledger.application import LedgerApplication
from shared.deadletters import NotDeadLettered, RedriveFailed, pending, redrive
from shared.envelope import EventEnvelope
from shared.projections import TablesProjection
from shared.runner import ProjectionRunner
from shared.settings import MitaSettings
from tests.helpers import seed


class Fussy(TablesProjection):
    """Keeps each event's position; refuses the events of ``poisoned`` aggregates."""

    name = "fussy"
    sources = ("ledger",)
    tables: ClassVar[dict[str, str]] = {"fussy_rows": "position bigint PRIMARY KEY"}
    poisoned: ClassVar[set[uuid.UUID]] = set()

    async def apply(self, conn: AsyncConnection[DictRow], event: EventEnvelope) -> None:
        """Keep the position (or fail on a poisoned aggregate)."""
        if event.aggregate_id in self.poisoned:
            raise ValueError(f"cannot read {event.aggregate_id}")
        await conn.execute(
            sql.SQL("INSERT INTO {} (position) VALUES (%s)").format(self.table("fussy_rows")),
            (event.position,),
        )


async def kept(conn: AsyncConnection[DictRow], projection: Fussy) -> set[int]:
    """The positions the projection applied."""
    cur = await conn.execute(
        sql.SQL("SELECT position FROM {}").format(projection.table("fussy_rows"))
    )
    got = {int(r["position"]) for r in await cur.fetchall()}
    await conn.commit()
    return got


async def test_a_dead_letter_is_listed_and_redriven(
    settings: MitaSettings, conn: AsyncConnection[DictRow], ledger: LedgerApplication
) -> None:
    ids = seed(ledger, [uuid.uuid4()], 3)
    quick = settings.model_copy(update={"projection_max_retries": 0})
    projection = Fussy(settings.schema_for("ledger"))
    Fussy.poisoned = {ids[1]}
    runner = ProjectionRunner(quick, projection)
    try:
        await runner.setup(conn)
        await runner.catch_up(conn)
    finally:
        await runner.close()
    assert runner.dead_lettered >= 1
    letters = await pending(conn, settings, projection)
    assert letters
    assert {letter.service for letter in letters} == {"ledger"}
    poisoned = letters[0]
    assert poisoned.type == "ledger.TransactionRecorded"
    assert poisoned.error is not None
    assert "cannot read" in poisoned.error
    assert poisoned.position not in await kept(conn, projection)

    with pytest.raises(RedriveFailed, match="cannot read"):
        await redrive(conn, settings, projection, "ledger", poisoned.position)
    assert [x.position for x in await pending(conn, settings, projection, with_topic=False)] == [
        x.position for x in letters
    ]

    Fussy.poisoned = set()  # the projection's bug is fixed
    for letter in letters:
        await redrive(conn, settings, projection, "ledger", letter.position)
    assert await pending(conn, settings, projection) == []
    assert {x.position for x in letters} <= await kept(conn, projection)
    with pytest.raises(NotDeadLettered):
        await redrive(conn, settings, projection, "ledger", poisoned.position)
    with pytest.raises(NotDeadLettered):
        await redrive(conn, settings, projection, "auth", 1)
    with pytest.raises(NotDeadLettered):
        await redrive(conn, settings, projection, "ledger", 10**9)
