"""Fixtures shared by the budget integration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from psycopg import AsyncConnection
from psycopg.rows import DictRow

from services.ledger.application import LedgerApplication
from shared import db
from shared.replay import drop_schema
from shared.settings import MitaSettings
from tests.helpers import ledger_app
from tests.integration.budget_world import World, open_world


@pytest.fixture
async def world(settings: MitaSettings, conn: AsyncConnection[DictRow]) -> AsyncIterator[World]:
    """A world in the test's own schemas."""
    opened = await open_world(settings, conn)
    yield opened
    opened.budget.close()
    opened.ledger.close()


@pytest.fixture
async def ledger(settings: MitaSettings) -> AsyncIterator[LedgerApplication]:
    """The ledger write model in the test's schema, dropped afterwards."""
    app = ledger_app(settings)
    yield app
    app.close()
    conn = await db.connect(settings.database_url)
    try:
        await drop_schema(conn, settings.schema_for("ledger"))
    finally:
        await conn.close()
