"""The budget service process."""

from __future__ import annotations

from fastapi import FastAPI

from services.budget.application import BudgetApplication
from services.budget.challenges.api import router as challenges_router
from services.budget.deps import BudgetContext
from services.budget.habits.api import router as habits_router
from services.budget.read.dashboard import router as dashboard_router
from services.budget.read.impact import router as impact_router
from services.budget.routes.admin import router as admin_router
from services.budget.routes.advice import router as advice_router
from services.budget.routes.financial import router as financial_router
from services.budget.routes.health import router as health_router
from services.budget.routes.plans import router
from services.budget.routes.settings import router as settings_router
from services.budget.settings import load_settings
from shared.service import build_app, pooled_context
from shared.settings import MitaSettings


def create_app(settings: MitaSettings | None = None) -> FastAPI:
    """Build the budget service app."""
    cfg = settings or load_settings()
    return build_app(
        cfg,
        "budget",
        application=BudgetApplication.for_database,
        routers=(
            router,
            settings_router,
            advice_router,
            health_router,
            dashboard_router,
            impact_router,
            financial_router,
            habits_router,
            challenges_router,
            admin_router,
        ),
        resources=pooled_context(
            cfg,
            "budget",
            lambda application, pool: BudgetContext(
                settings=cfg, application=application, pool=pool
            ),
        ),
    )
