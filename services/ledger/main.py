"""The ledger service process."""

from __future__ import annotations

from fastapi import FastAPI

from services.ledger.api import router
from services.ledger.application import LedgerApplication
from services.ledger.deps import LedgerContext
from services.ledger.goals.api import router as goals_router
from services.ledger.installments.api import router as installments_router
from services.ledger.installments.plans_api import router as plans_router
from services.ledger.settings import load_settings
from shared.service import build_app, pooled_context
from shared.settings import MitaSettings


def create_app(settings: MitaSettings | None = None) -> FastAPI:
    """Build the ledger service app."""
    cfg = settings or load_settings()
    return build_app(
        cfg,
        "ledger",
        application=LedgerApplication.for_database,
        routers=(router, goals_router, installments_router, plans_router),
        resources=pooled_context(
            cfg,
            "ledger",
            lambda application, pool: LedgerContext(
                settings=cfg, application=application, pool=pool
            ),
        ),
    )
