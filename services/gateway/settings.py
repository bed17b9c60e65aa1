"""Settings of the gateway service (env prefix ``MITA_``)."""

from __future__ import annotations

from shared.settings import MitaSettings


class GatewaySettings(MitaSettings):
    """Gateway service settings; fails fast on invalid or insecure values."""


def load_settings() -> GatewaySettings:
    """Read settings from the environment (called by the process, never at import)."""
    return GatewaySettings()
