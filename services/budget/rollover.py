"""The rollover command: plan each onboarded user's current local month if it is missing.

Reads never plan a month (they compute it); a month is stored by the first ledger write in it
(the redistribution policy) or by this command (``mita budget rollover``; the scheduler runs it
hourly, so each user's local midnight is covered).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

from psycopg import AsyncConnection, errors, sql
from psycopg.rows import DictRow

from services.budget.application import BudgetApplication
from services.budget.read.placement import zone
from shared import db
from shared.settings import MitaSettings


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
    app = BudgetApplication.from_settings(settings)
    assert isinstance(app, BudgetApplication)
    planned = 0
    try:
        for user, zone_name in users:
            today = moment.astimezone(zone(zone_name)).date()
            position = await asyncio.to_thread(app.ensure_month, user, today.year, today.month)
            planned += position > 0
    finally:
        app.close()
    return planned
