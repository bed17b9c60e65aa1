"""A worker's metrics measured on real Postgres: lag behind the store, dead letters, appends."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from types import SimpleNamespace

from prometheus_client import generate_latest
from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from services.ledger.application import LedgerApplication
from services.ledger.domain import Transaction
from services.ledger.projections import TransactionsProjection
from shared import watermarks
from shared.probe import worker_registry
from shared.projections import apply_batch, setup_tracking, tracking_table
from shared.relay import read_stored
from shared.settings import MitaSettings
from shared.sources import SourceTable
from shared.store import to_envelope


async def test_lag_and_dead_letters_are_measured(
    settings: MitaSettings, conn: AsyncConnection[DictRow], ledger: LedgerApplication
) -> None:
    schema = settings.schema_for("ledger")
    user = uuid.uuid4()
    for n in range(3):
        ledger.save(
            Transaction.record(
                transaction_id=uuid.uuid4(), user_id=user, amount=Decimal(n + 1),
                currency="usd", category="food", spent_at=dt.datetime.now(dt.UTC),
            )
        )  # fmt: skip
    projection = TransactionsProjection(schema)
    await setup_tracking(conn, schema)
    async with conn.transaction():
        await projection.setup(conn)
    runner = SimpleNamespace(
        projection=projection, consumed_total=0, applied_total=0, dead_lettered=0
    )
    registry, collector = worker_registry([], [runner])
    await collector.refresh(conn, settings)
    text = generate_latest(registry).decode()
    assert 'mita_projection_lag_events{consumer="ledger_transactions",source="ledger"} 3.0' in text
    assert 'mita_dead_letters{consumer="ledger_transactions"} 0.0' in text
    assert 'mita_events_appended_total{service="ledger"}' in text
    async with conn.transaction():
        rows = await read_stored(conn, SourceTable("ledger", schema), 0, 10)
    await apply_batch(conn, projection, [to_envelope("ledger", p, e) for p, e in rows])
    source = SourceTable("ledger", schema)
    await watermarks.setup_registry(conn, schema)
    mark = await watermarks.contiguous(conn, source, projection, 0)
    await watermarks.record(conn, source, projection, mark)
    await conn.execute(
        sql.SQL("UPDATE {} SET dead_lettered = true WHERE position = %s").format(
            tracking_table(schema)
        ),
        (rows[0][0],),
    )
    await conn.commit()
    await collector.refresh(conn, settings)
    assert collector.lag == {("ledger_transactions", "ledger"): 0}
    assert collector.dead == {"ledger_transactions": 1}
