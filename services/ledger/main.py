"""The ledger service process."""

from __future__ import annotations

from fastapi import FastAPI

from services.ledger.application import LedgerApplication
from services.ledger.settings import load_settings
from shared.service import build_app
from shared.settings import MitaSettings


def create_app(settings: MitaSettings | None = None) -> FastAPI:
    """Build the ledger service app."""
    return build_app(
        settings or load_settings(), "ledger", application=LedgerApplication.for_database
    )
