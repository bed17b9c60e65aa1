"""How the ops service runs (see ``shared.bootstrap``): an app that reads every store, and the
operational periodic work (dead-letter retries, scratch retention)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from shared.bootstrap import Bootstrap, JobSpec
from shared.settings import MitaSettings

if TYPE_CHECKING:
    from fastapi import FastAPI


def create_app() -> FastAPI:
    """The ops HTTP app."""
    from services.ops.main import create_app as build

    return build()


async def retry_dead_letters(settings: MitaSettings) -> str:
    """Apply every consumer's dead letters again; those that fail again stay dead-lettered."""
    from services import catalog
    from shared import db
    from shared.deadletters import RedriveFailed, pending, redrive

    recovered = failed = 0
    async with await db.connect(settings.database_url) as conn:
        for spec in catalog.PROJECTIONS.values():
            async with spec.opened(settings) as consumer:
                for letter in await pending(conn, settings, consumer, with_topic=False):
                    try:
                        await redrive(conn, settings, consumer, letter.service, letter.position)
                        recovered += 1
                    except RedriveFailed:
                        failed += 1
    return f"{recovered} re-driven, {failed} still failing"


async def sweep_scratch(settings: MitaSettings) -> str:
    """Drop the analysts' scratch projections older than the retention."""
    from shared import db
    from shared.replay import sweep_scratch as sweep

    async with await db.connect(settings.database_url) as conn:
        dropped = await sweep(conn, settings, dt.timedelta(hours=settings.scratch_retention_hours))
    return f"dropped {len(dropped)} scratch schema(s)"


BOOTSTRAP = Bootstrap(
    "ops",
    create_app,
    jobs=(
        JobSpec("dead_letter_retries", 600, retry_dead_letters),
        JobSpec("scratch_retention", 3600, sweep_scratch),
    ),
)
