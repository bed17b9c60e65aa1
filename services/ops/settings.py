"""Settings of the ops service (env prefix ``MITA_``)."""

from __future__ import annotations

from pydantic import Field

from shared.settings import MitaSettings


class OpsSettings(MitaSettings):
    """How far a tail reaches in one answer."""

    tail_max_events: int = Field(default=500, ge=1, le=10_000)


def load_settings() -> OpsSettings:
    """Read settings from the environment (called by the process, never at import)."""
    return OpsSettings()
