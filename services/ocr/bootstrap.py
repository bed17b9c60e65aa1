"""How the ocr service runs (see ``shared.bootstrap``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.bootstrap import Bootstrap, ConsumerSpec
from shared.settings import MitaSettings

if TYPE_CHECKING:
    from fastapi import FastAPI

    from shared.projections import Consumer
    from shared.store import MitaApplication


def create_app() -> FastAPI:
    """The ocr HTTP app."""
    from services.ocr.main import create_app as build

    return build()


def application() -> type[MitaApplication]:
    """The ocr write model."""
    from services.ocr.application import OcrApplication

    return OcrApplication


def receipts(settings: MitaSettings) -> Consumer:
    """``ocr_receipts``: the receipt jobs polling reads."""
    from services.ocr.read.projections import ReceiptsProjection

    return ReceiptsProjection(settings.schema_for("ocr"))


def reader(settings: MitaSettings) -> Consumer:
    """``ocr_reader``: the worker that reads uploaded receipts."""
    from services.ocr.process.worker import ReadingWorker

    return ReadingWorker.from_settings(settings)


def register_events() -> None:
    """Declare the ocr service's event types."""
    import services.ocr.domain  # noqa: F401 - importing the domain registers its events


BOOTSTRAP = Bootstrap(
    "ocr",
    create_app,
    application,
    (
        ConsumerSpec("ocr_receipts", "ocr", receipts),
        ConsumerSpec("ocr_reader", "ocr", reader),
    ),
    register_events,
)
