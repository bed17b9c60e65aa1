"""How the ops service runs (see ``shared.bootstrap``): an app that reads every store."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.bootstrap import Bootstrap

if TYPE_CHECKING:
    from fastapi import FastAPI


def create_app() -> FastAPI:
    """The ops HTTP app."""
    from services.ops.main import create_app as build

    return build()


BOOTSTRAP = Bootstrap("ops", create_app)
