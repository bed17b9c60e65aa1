"""How the gateway runs (see ``shared.bootstrap``): an app, no store, no consumers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.bootstrap import Bootstrap

if TYPE_CHECKING:
    from fastapi import FastAPI


def create_app() -> FastAPI:
    """The public gateway app."""
    from services.gateway.main import create_app as build

    return build()


BOOTSTRAP = Bootstrap("gateway", create_app)
