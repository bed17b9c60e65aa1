"""Settings of the auth service (env prefix ``MITA_``)."""

from __future__ import annotations

from shared.settings import MitaSettings


class AuthSettings(MitaSettings):
    """Auth service settings; fails fast on invalid or insecure values."""


def load_settings() -> AuthSettings:
    """Read settings from the environment (called by the process, never at import)."""
    return AuthSettings()
