"""The ocr service process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import redis.asyncio as aioredis
from fastapi import FastAPI

from services.ocr.application import OcrApplication
from services.ocr.deps import OcrContext
from services.ocr.reading.engines import available_languages
from services.ocr.routes.review import router as review_router
from services.ocr.routes.uploads import router as uploads_router
from services.ocr.settings import OcrSettings, load_settings
from services.ocr.storage import LocalImageStore
from shared.categorizer.categorizer import default_categorizer
from shared.db import read_model_pool
from shared.service import build_app


def create_app(settings: OcrSettings | None = None) -> FastAPI:
    """Build the ocr service app."""
    cfg = settings or load_settings()

    @asynccontextmanager
    async def resources(app: FastAPI) -> AsyncIterator[None]:
        pool = read_model_pool(cfg.database_url, cfg.db_read_pool_max)
        await pool.open()
        redis = aioredis.Redis.from_url(cfg.redis_url, socket_timeout=3, socket_connect_timeout=3)
        app.state.ocr = OcrContext(
            settings=cfg,
            pool=pool,
            application=app.state.application,
            store=LocalImageStore(cfg.image_dir),
            categorizer=default_categorizer(),
            redis=redis,
        )
        try:
            yield
        finally:
            await redis.aclose()
            await pool.close()

    def engines() -> dict[str, Any]:
        return {
            "ocr": {
                "engine": cfg.engine_for(False),
                "premium_engine": cfg.engine_for(True),
                "languages": list(available_languages()),
            }
        }

    return build_app(
        cfg,
        "ocr",
        application=OcrApplication.for_database,
        routers=(uploads_router, review_router),
        resources=resources,
        health_details=engines,
    )
