"""The budget service process."""

from __future__ import annotations

from fastapi import FastAPI

from services.budget.application import BudgetApplication
from services.budget.settings import load_settings
from shared.service import build_app
from shared.settings import MitaSettings


def create_app(settings: MitaSettings | None = None) -> FastAPI:
    """Build the budget service app."""
    return build_app(
        settings or load_settings(), "budget", application=BudgetApplication.for_database
    )
