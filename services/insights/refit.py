"""Refit the behavioural clusters from every user's features (``mita insights refit``; the
scheduler runs it daily)."""

from __future__ import annotations

import asyncio
import datetime as dt

from services.insights.application import InsightsApplication
from services.insights.clusters import Model, fit
from services.insights.read.features import features
from shared import db
from shared.settings import MitaSettings


async def refit(settings: MitaSettings) -> tuple[Model, int]:
    """Fit on the read models and store the model (its position; 0 when it was current)."""
    conn = await db.connect(settings.database_url)
    try:
        rows = await features(conn, settings.schema_for("insights"))
    finally:
        await conn.close()
    model = await asyncio.to_thread(fit, rows)
    app = InsightsApplication.from_settings(settings)
    assert isinstance(app, InsightsApplication)
    try:
        position = await asyncio.to_thread(
            app.refit_clusters, model.as_json(), dt.datetime.now(dt.UTC)
        )
    finally:
        app.close()
    return model, position
