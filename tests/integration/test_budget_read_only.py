"""Budget reads never write: a month nobody planned yet is computed from the latest answers and
mode, and the rollover command (or the first write) stores exactly that plan."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest

from services.budget.deps import BudgetContext
from services.budget.main import create_app
from services.budget.rollover import roll_over
from shared import tokens
from shared.settings import MitaSettings
from tests.integration.budget_world import World
from tests.integration.test_budget_invariants import ANSWERS

Get = Callable[[uuid.UUID, str, dt.datetime], Awaitable[Any]]
JUNE = dt.datetime(2026, 6, 10, 12, tzinfo=dt.UTC)


@pytest.fixture
async def get(settings: MitaSettings, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Get]:
    """GET a budget route as a user at a given instant (``data``, money exact)."""
    clock = [JUNE]
    monkeypatch.setattr(BudgetContext, "now", staticmethod(lambda: clock[0]))
    app = create_app(settings)

    async def call(user: uuid.UUID, path: str, now: dt.datetime) -> Any:
        clock[0] = now
        token, _ = tokens.issue(
            settings.secret_key.get_secret_value(), user_id=user, typ="access",
            ttl=dt.timedelta(minutes=5), token_version=0, scopes=tokens.USER_SCOPES,
        )  # fmt: skip
        answer = await client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.text
        return json.loads(answer.text, parse_float=Decimal)["data"]

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://budget") as client:
            yield call


async def test_an_unplanned_month_is_computed_not_stored(
    world: World, settings: MitaSettings, get: Get
) -> None:
    user = uuid.uuid4()
    world.budget.submit_onboarding(user, ANSWERS, "UTC", dt.date(2026, 3, 1))
    world.ledger.record(user_id=user, amount=Decimal("12.00"), category="coffee", spent_at=JUNE)
    await world.feed()
    head = world.budget.head_position()
    reads = [
        await get(user, "/calendar/saved/2026/6", JUNE),
        await get(user, "/budget/live_status", JUNE),
        await get(user, "/dashboard", JUNE),
        await get(user, "/budget/forecast", JUNE),
        await get(user, "/budget/remaining", JUNE),
    ]
    assert world.budget.head_position() == head  # no read appended anything
    assert world.budget.month_plan(user, 2026, 6) is None
    calendar, live, board, forecast, left = reads
    assert len(calendar["calendar"]) == 30
    assert all(day["limit"] > 0 for day in calendar["calendar"])
    assert sum(day["limit"] for day in calendar["calendar"]) == Decimal("4250.50")
    assert (live["monthly_budget"], live["spent_today"]) == (Decimal("4250.50"), 12)
    assert board["balance"] == Decimal("4250.50") - 12
    assert forecast["status"] != "no_data"
    assert left["total_spent"] == 12

    # The rollover command stores the very plan the reads computed.
    assert await roll_over(settings, JUNE) == 1
    assert await roll_over(settings, JUNE) == 0  # once
    await world.feed()
    assert world.budget.month_plan(user, 2026, 6) is not None
    assert await get(user, "/calendar/saved/2026/6", JUNE) == calendar
