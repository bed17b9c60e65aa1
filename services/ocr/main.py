"""The ocr service process."""

from __future__ import annotations

from fastapi import FastAPI

from services.ocr.application import OcrApplication
from services.ocr.settings import load_settings
from shared.service import build_app
from shared.settings import MitaSettings


def create_app(settings: MitaSettings | None = None) -> FastAPI:
    """Build the ocr service app."""
    return build_app(settings or load_settings(), "ocr", application=OcrApplication.for_database)
