"""The budget service process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.budget.api import router
from services.budget.application import BudgetApplication
from services.budget.dashboard import router as dashboard_router
from services.budget.deps import BudgetContext
from services.budget.settings import load_settings
from shared.db import read_model_pool
from shared.service import build_app
from shared.settings import MitaSettings


def create_app(settings: MitaSettings | None = None) -> FastAPI:
    """Build the budget service app."""
    cfg = settings or load_settings()

    @asynccontextmanager
    async def resources(app: FastAPI) -> AsyncIterator[None]:
        application: BudgetApplication = app.state.application
        pool = read_model_pool(cfg.database_url)
        await pool.open()
        app.state.budget = BudgetContext(settings=cfg, application=application, pool=pool)
        try:
            yield
        finally:
            await pool.close()

    return build_app(
        cfg,
        "budget",
        application=BudgetApplication.for_database,
        routers=(router, dashboard_router),
        resources=resources,
    )
