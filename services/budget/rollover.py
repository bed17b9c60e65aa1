"""The periodic budget commands: plan each onboarded user's current local month if it is
missing (rollover), and give each one the morning's advice for their local day.

Reads never plan a month (they compute it); a month is stored by the first ledger write in it
(the redistribution policy) or by this command (``mita budget rollover``; the scheduler runs it
hourly, so each user's local midnight is covered).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import uuid
from collections.abc import Iterator

from psycopg import AsyncConnection, errors, sql
from psycopg.rows import DictRow

from services.budget.application import BudgetApplication
from services.budget.read.placement import zone
from shared import db
from shared.settings import MitaSettings


@contextlib.contextmanager
def opened(settings: MitaSettings) -> Iterator[BudgetApplication]:
    """The budget write model of ``settings`` for one command, closed afterwards."""
    app = BudgetApplication.from_settings(settings)
    assert isinstance(app, BudgetApplication)
    try:
        yield app
    finally:
        app.close()


async def onboarded_users(
    conn: AsyncConnection[DictRow], schema: str
) -> list[tuple[uuid.UUID, str | None]]:
    """Every user with onboarding answers, with their latest timezone (none before the
    budget's read models exist)."""
    try:
        cur = await conn.execute(
            sql.SQL(
                "SELECT p.user_id, (SELECT u.timezone FROM {users} u WHERE u.user_id = p.user_id "
                "ORDER BY u.effective_from DESC LIMIT 1) AS timezone FROM {profiles} p "
                "WHERE p.answers IS NOT NULL ORDER BY p.user_id"
            ).format(
                users=sql.Identifier(schema, "budget_users"),
                profiles=sql.Identifier(schema, "budget_profiles"),
            )
        )
    except errors.UndefinedTable:
        await conn.rollback()
        return []
    rows = [(r["user_id"], r["timezone"]) for r in await cur.fetchall()]
    await conn.commit()
    return rows


async def roll_over(settings: MitaSettings, now: dt.datetime | None = None) -> int:
    """Plan the current local month of every onboarded user who has none; how many were."""
    moment = now or dt.datetime.now(dt.UTC)
    schema = settings.schema_for("budget")
    async with await db.connect(settings.database_url) as conn:
        users = await onboarded_users(conn, schema)
    planned = 0
    with opened(settings) as app:
        for user, zone_name in users:
            today = moment.astimezone(zone(zone_name)).date()
            position = await asyncio.to_thread(app.ensure_month, user, today.year, today.month)
            planned += position > 0
    return planned


#: Advice goes out in the user's local morning: from this hour, until ADVICE_UNTIL (a day the
#: scheduler missed gets none rather than a "morning" message in the evening).
ADVICE_FROM, ADVICE_UNTIL = 8, 12


async def advise(settings: MitaSettings, now: dt.datetime | None = None) -> int:
    """Give the day's advice to every onboarded user whose local morning it is (once a day);
    how many were given."""
    moment = now or dt.datetime.now(dt.UTC)
    schema = settings.schema_for("budget")
    async with await db.connect(settings.database_url) as conn:
        users = await onboarded_users(conn, schema)
    due = [(u, moment.astimezone(zone(z))) for u, z in users]
    due = [(u, local) for u, local in due if ADVICE_FROM <= local.hour < ADVICE_UNTIL]
    if not due:
        return 0
    given = 0
    with opened(settings) as app:
        for user, local in due:
            given += await asyncio.to_thread(app.advise_day, user, local.date(), moment) > 0
    return given
