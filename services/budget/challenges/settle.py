"""The settling command (``mita budget settle-challenges``; the scheduler runs it): every
attempt measured completed but not yet on record gets its ``ChallengeCompleted``, which the
notifications context turns into "Challenge completed". A day passing completes a challenge,
and no event says so; this command is what does."""

from __future__ import annotations

import asyncio
import datetime as dt

from services.budget.challenges import queries, views
from services.budget.rollover import opened
from shared import db
from shared.settings import MitaSettings


async def settle(settings: MitaSettings, now: dt.datetime | None = None) -> int:
    """Record each completed attempt not on record yet; how many were."""
    moment = now or dt.datetime.now(dt.UTC)
    schema = settings.schema_for("budget")
    async with await db.connect(settings.database_url) as conn:
        rows = await queries.attempts(conn, schema)
        facts = await queries.facts(conn, schema)
    done = [
        m for m in views.measure(rows, facts, moment)
        if m.outcome.status == "completed" and m.row.get("completed_on") is None
    ]  # fmt: skip
    if not done:
        return 0
    recorded = 0
    with opened(settings) as app:
        for m in done:
            assert m.outcome.completed_on is not None
            position = await asyncio.to_thread(
                app.record_challenge_completion, m.user_id, m.challenge.id,
                attempt=m.row["attempt"], day=m.outcome.completed_on, name=m.challenge.name,
                points=m.challenge.reward_points, now=moment,
            )  # fmt: skip
            recorded += position > 0
    return recorded
