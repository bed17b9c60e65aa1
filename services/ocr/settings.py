"""Settings of the ocr service (env prefix ``MITA_``)."""

from __future__ import annotations

from shared.settings import MitaSettings


class OcrSettings(MitaSettings):
    """Ocr service settings; fails fast on invalid or insecure values."""


def load_settings() -> OcrSettings:
    """Read settings from the environment (called by the process, never at import)."""
    return OcrSettings()
