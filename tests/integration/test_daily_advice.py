"""The morning's advice (the scheduler's ``daily_advice``): given in each user's own local
morning, from their plan for that local day, once a day; the notification follows from it."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from psycopg import AsyncConnection
from psycopg.rows import DictRow

from contracts.budget import DAILY_ADVICE_GIVEN
from services import catalog
from services.budget.domain import BudgetPlan
from services.budget.rollover import advise
from services.notifications.rules import drafts
from shared.relay import read_stored
from shared.settings import MitaSettings
from shared.sources import SourceTable
from shared.store import to_envelope
from tests.integration.budget_world import World
from tests.integration.test_budget_invariants import ANSWERS

# 00:30 UTC on 4 December: 09:30 in Tokyo (morning), 13:30 in Auckland (past it), 19:30 on
# the 3rd in New York (evening), 08:30 in Manila (morning, just begun).
NOW = dt.datetime(2026, 12, 4, 0, 30, tzinfo=dt.UTC)
ZONES = ("Asia/Tokyo", "Pacific/Auckland", "America/New_York", "Asia/Manila")


async def test_each_user_is_advised_in_their_own_morning_once(
    world: World, settings: MitaSettings, conn: AsyncConnection[DictRow]
) -> None:
    users = {z: uuid.uuid4() for z in ZONES}
    for zone, user in users.items():
        world.budget.submit_onboarding(user, ANSWERS, zone, dt.date(2026, 11, 20))
    await world.feed()
    assert await advise(settings, NOW) == 2
    assert await advise(settings, NOW + dt.timedelta(hours=1)) == 0  # once a local day
    async with conn.transaction():
        rows = await read_stored(conn, SourceTable("budget", settings.schema_for("budget")), 0, 999)
    given = [e for e in (to_envelope("budget", p, s) for p, s in rows)
             if e.type == DAILY_ADVICE_GIVEN]  # fmt: skip
    assert {e.user_id for e in given} == {users["Asia/Tokyo"], users["Asia/Manila"]}
    assert {e.payload["day"] for e in given} == {
        "2026-12-04"
    }  # their local day, not UTC's 4th by luck
    for event in given:
        assert event.user_id is not None
        plan = world.budget.month_plan(event.user_id, 2026, 12)
        assert isinstance(plan, BudgetPlan)
        today = plan.days[dt.date(2026, 12, 4)]
        assert Decimal(event.payload["planned"]) == sum(today.values())
        assert event.payload["top_category"] == max(sorted(today), key=lambda c: today[c])
        [draft] = drafts(event)
        assert draft.preference == "daily_reminders"
        assert f"{sum(today.values()):,.2f}" in draft.message
    # New York's morning comes 13.5 hours later: its own 4 December.
    assert await advise(settings, NOW + dt.timedelta(hours=13, minutes=30)) == 1
    # 23:30 UTC on the 4th is 08:30 on the 5th in Tokyo: advice for Tokyo's day, not UTC's.
    assert await advise(settings, dt.datetime(2026, 12, 4, 23, 30, tzinfo=dt.UTC)) == 1
    async with conn.transaction():
        rows = await read_stored(conn, SourceTable("budget", settings.schema_for("budget")), 0, 999)
    last = [to_envelope("budget", p, s) for p, s in rows][-1]
    assert (last.type, last.user_id, last.payload["day"]) == (
        DAILY_ADVICE_GIVEN, users["Asia/Tokyo"], "2026-12-05",
    )  # fmt: skip
    assert "daily_advice" in catalog.JOBS
