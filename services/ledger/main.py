"""The ledger service process."""

from __future__ import annotations

from fastapi import FastAPI

from services.ledger.application import LedgerApplication
from services.ledger.settings import LedgerSettings, load_settings
from shared.service import build_app


def create_app(settings: LedgerSettings | None = None) -> FastAPI:
    """Build the ledger service app."""
    return build_app(
        settings or load_settings(), "ledger", application=LedgerApplication.for_database
    )
