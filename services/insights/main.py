"""The insights service process."""

from __future__ import annotations

from fastapi import FastAPI

from services.insights.application import InsightsApplication
from services.insights.deps import InsightsContext
from services.insights.routes.advice import router as advice_router
from services.insights.routes.ai import router as ai_router
from services.insights.routes.analytics import router as analytics_router
from services.insights.routes.behavior import router as behavior_router
from services.insights.settings import load_settings
from shared.categorizer.categorizer import default_categorizer
from shared.service import build_app, pooled_context
from shared.settings import MitaSettings


def create_app(settings: MitaSettings | None = None) -> FastAPI:
    """Build the insights service app."""
    cfg = settings or load_settings()
    return build_app(
        cfg,
        "insights",
        application=InsightsApplication.for_database,
        routers=(analytics_router, advice_router, ai_router, behavior_router),
        resources=pooled_context(
            cfg,
            "insights",
            lambda application, pool: InsightsContext(
                settings=cfg, application=application, pool=pool, categorizer=default_categorizer()
            ),
        ),
    )
