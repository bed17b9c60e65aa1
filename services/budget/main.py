"""The budget service process."""

from __future__ import annotations

from fastapi import FastAPI

from services.budget.application import BudgetApplication
from services.budget.settings import BudgetSettings, load_settings
from shared.service import build_app


def create_app(settings: BudgetSettings | None = None) -> FastAPI:
    """Build the budget service app."""
    return build_app(
        settings or load_settings(), "budget", application=BudgetApplication.for_database
    )
