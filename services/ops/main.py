"""The ops service process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.ops.api import router
from services.ops.deps import OpsContext
from services.ops.jobs import Rebuilds
from services.ops.settings import OpsSettings, load_settings
from shared.db import read_model_pool
from shared.service import build_app


def create_app(settings: OpsSettings | None = None) -> FastAPI:
    """Build the ops service app (it keeps no store: it reads everyone's)."""
    cfg = settings or load_settings()

    @asynccontextmanager
    async def resources(app: FastAPI) -> AsyncIterator[None]:
        from services import catalog

        catalog.load_event_types()
        pool = read_model_pool(cfg.database_url, cfg.db_read_pool_max)
        await pool.open()
        rebuilds = Rebuilds(cfg)
        app.state.ops = OpsContext(settings=cfg, pool=pool, rebuilds=rebuilds)
        try:
            yield
        finally:
            await rebuilds.wait()
            await pool.close()

    return build_app(cfg, "ops", routers=(router,), resources=resources)
