"""The ledger service process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.ledger.api import router
from services.ledger.application import LedgerApplication
from services.ledger.deps import LedgerContext
from services.ledger.settings import load_settings
from shared.db import read_model_pool
from shared.service import build_app
from shared.settings import MitaSettings


def create_app(settings: MitaSettings | None = None) -> FastAPI:
    """Build the ledger service app."""
    cfg = settings or load_settings()

    @asynccontextmanager
    async def resources(app: FastAPI) -> AsyncIterator[None]:
        application: LedgerApplication = app.state.application
        pool = read_model_pool(cfg.database_url)
        await pool.open()
        app.state.ledger = LedgerContext(settings=cfg, application=application, pool=pool)
        try:
            yield
        finally:
            await pool.close()

    return build_app(
        cfg,
        "ledger",
        application=LedgerApplication.for_database,
        routers=(router,),
        resources=resources,
    )
