"""The ocr service process."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from services.ocr.application import OcrApplication
from services.ocr.deps import OcrContext
from services.ocr.reading.engines import available_languages
from services.ocr.routes.review import router as review_router
from services.ocr.routes.uploads import router as uploads_router
from services.ocr.settings import OcrSettings, load_settings
from services.ocr.storage import LocalImageStore
from shared.categorizer.categorizer import default_categorizer
from shared.service import build_app, pooled_context


def create_app(settings: OcrSettings | None = None) -> FastAPI:
    """Build the ocr service app."""
    cfg = settings or load_settings()

    def context(application: OcrApplication, pool: Any, redis: Any) -> OcrContext:
        return OcrContext(
            settings=cfg, pool=pool, application=application, store=LocalImageStore(cfg.image_dir),
            categorizer=default_categorizer(), redis=redis,
        )  # fmt: skip

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
        resources=pooled_context(cfg, "ocr", context, with_redis=True),
        health_details=engines,
    )
