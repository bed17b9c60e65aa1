"""Write model of the ocr service (its aggregates arrive with their issue)."""

from __future__ import annotations

from shared.store import MitaApplication


class OcrApplication(MitaApplication):
    """Event store of the ocr service, in its own schema."""

    name = "ocr"
    service = "ocr"
