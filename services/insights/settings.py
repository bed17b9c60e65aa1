"""Settings of the insights service (env prefix ``MITA_``)."""

from __future__ import annotations

from shared.settings import MitaSettings


class InsightsSettings(MitaSettings):
    """Insights service settings; fails fast on invalid or insecure values."""


def load_settings() -> InsightsSettings:
    """Read settings from the environment (called by the process, never at import)."""
    return InsightsSettings()
