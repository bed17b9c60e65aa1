"""Fixtures shared by the budget integration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from psycopg import AsyncConnection
from psycopg.rows import DictRow

from shared.settings import MitaSettings
from tests.integration.budget_world import World, open_world


@pytest.fixture
async def world(settings: MitaSettings, conn: AsyncConnection[DictRow]) -> AsyncIterator[World]:
    """A world in the test's own schemas."""
    opened = await open_world(settings, conn)
    yield opened
    opened.budget.close()
    opened.ledger.close()
