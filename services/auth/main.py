"""The auth service process."""

from __future__ import annotations

from fastapi import FastAPI

from services.auth.application import AuthApplication
from services.auth.settings import load_settings
from shared.service import build_app
from shared.settings import MitaSettings


def create_app(settings: MitaSettings | None = None) -> FastAPI:
    """Build the auth service app."""
    return build_app(settings or load_settings(), "auth", application=AuthApplication.for_database)
