"""The insights service process."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from services.insights.answers import AnswerCache
from services.insights.application import InsightsApplication
from services.insights.deps import InsightsContext
from services.insights.llm import Advisor
from services.insights.routes.advice import router as advice_router
from services.insights.routes.ai import router as ai_router
from services.insights.routes.analytics import router as analytics_router
from services.insights.routes.behavior import router as behavior_router
from services.insights.routes.cohort import router as cohort_router
from services.insights.routes.habits import router as habits_router
from services.insights.routes.reports import router as reports_router
from services.insights.routes.settings import router as settings_router
from services.insights.routes.snapshots import router as snapshots_router
from services.insights.settings import InsightsSettings, load_settings
from shared.categorizer.categorizer import default_categorizer
from shared.service import build_app, pooled_context


def advisor(cfg: InsightsSettings, redis: Any) -> Advisor | None:
    """The model behind AI advice, when a key is configured."""
    key = cfg.openai_api_key.get_secret_value()
    if not key:
        return None
    import openai

    client = openai.AsyncOpenAI(
        api_key=key,
        base_url=cfg.openai_base_url or None,
        timeout=cfg.openai_timeout_seconds,
        max_retries=0,
    )
    return Advisor(
        client, cfg.openai_model, redis=redis, prefix=cfg.redis_prefix("insights"),
        max_tokens=cfg.openai_max_tokens, daily_tokens=cfg.openai_daily_tokens,
        per_minute=cfg.openai_per_minute,
    )  # fmt: skip


def create_app(settings: InsightsSettings | None = None) -> FastAPI:
    """Build the insights service app."""
    cfg = settings or load_settings()

    def context(application: InsightsApplication, pool: Any, redis: Any) -> InsightsContext:
        return InsightsContext(
            settings=cfg, application=application, pool=pool,
            categorizer=default_categorizer(), advisor=advisor(cfg, redis),
            answers=(
                AnswerCache(redis, cfg.redis_prefix("insights"), cfg.answer_cache_seconds)
                if cfg.answer_cache_seconds else None
            ),
        )  # fmt: skip

    return build_app(
        cfg,
        "insights",
        application=InsightsApplication.for_database,
        routers=(
            analytics_router,
            advice_router,
            ai_router,
            behavior_router,
            habits_router,
            settings_router,
            snapshots_router,
            cohort_router,
            reports_router,
        ),
        resources=pooled_context(cfg, "insights", context, with_redis=True),
    )
