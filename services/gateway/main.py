"""The public gateway process (routes arrive with the auth/gateway issue)."""

from __future__ import annotations

from fastapi import FastAPI

from services.gateway.settings import load_settings
from shared.service import build_app
from shared.settings import MitaSettings


def create_app(settings: MitaSettings | None = None) -> FastAPI:
    """Build the gateway app."""
    return build_app(settings or load_settings(), "gateway")
