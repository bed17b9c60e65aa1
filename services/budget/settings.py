"""Settings of the budget service (env prefix ``MITA_``)."""

from __future__ import annotations

from shared.settings import MitaSettings


class BudgetSettings(MitaSettings):
    """Budget service settings; fails fast on invalid or insecure values."""


def load_settings() -> BudgetSettings:
    """Read settings from the environment (called by the process, never at import)."""
    return BudgetSettings()
