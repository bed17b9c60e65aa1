"""How the ocr service runs (see ``shared.bootstrap``); its aggregates arrive with their issue."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.bootstrap import Bootstrap

if TYPE_CHECKING:
    from fastapi import FastAPI

    from shared.store import MitaApplication


def create_app() -> FastAPI:
    """The ocr HTTP app."""
    from services.ocr.main import create_app as build

    return build()


def application() -> type[MitaApplication]:
    """The ocr write model (still empty)."""
    from services.ocr.application import OcrApplication

    return OcrApplication


BOOTSTRAP = Bootstrap("ocr", create_app, application)
