"""How the insights service runs (see ``shared.bootstrap``); aggregates arrive with their issue."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.bootstrap import Bootstrap

if TYPE_CHECKING:
    from fastapi import FastAPI

    from shared.store import MitaApplication


def create_app() -> FastAPI:
    """The insights HTTP app."""
    from services.insights.main import create_app as build

    return build()


def application() -> type[MitaApplication]:
    """The insights write model (still empty)."""
    from services.insights.application import InsightsApplication

    return InsightsApplication


BOOTSTRAP = Bootstrap("insights", create_app, application)
