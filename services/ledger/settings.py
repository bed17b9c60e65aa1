"""Settings of the ledger service (env prefix ``MITA_``)."""

from __future__ import annotations

from shared.settings import MitaSettings


class LedgerSettings(MitaSettings):
    """Ledger service settings; fails fast on invalid or insecure values."""


def load_settings() -> LedgerSettings:
    """Read settings from the environment (called by the process, never at import)."""
    return LedgerSettings()
