"""The insights service process."""

from __future__ import annotations

from fastapi import FastAPI

from services.insights.application import InsightsApplication
from services.insights.settings import load_settings
from shared.service import build_app
from shared.settings import MitaSettings


def create_app(settings: MitaSettings | None = None) -> FastAPI:
    """Build the insights service app."""
    return build_app(
        settings or load_settings(), "insights", application=InsightsApplication.for_database
    )
