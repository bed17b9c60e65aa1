"""The insights service process."""

from __future__ import annotations

from fastapi import FastAPI

from services.insights.application import InsightsApplication
from services.insights.settings import InsightsSettings, load_settings
from shared.service import build_app


def create_app(settings: InsightsSettings | None = None) -> FastAPI:
    """Build the insights service app."""
    return build_app(
        settings or load_settings(), "insights", application=InsightsApplication.for_database
    )
