"""Settings of the insights service (env prefix ``MITA_``)."""

from __future__ import annotations

from pydantic import Field, SecretStr

from shared.settings import MitaSettings


class InsightsSettings(MitaSettings):
    """Insights service settings; fails fast on invalid or insecure values.

    AI advice uses an OpenAI-compatible model when ``MITA_OPENAI_API_KEY`` is set (any server:
    ``MITA_OPENAI_BASE_URL``); without a key the offline engine answers, in the same shapes.
    """

    openai_api_key: SecretStr = SecretStr("")
    openai_base_url: str = ""
    openai_model: str = "gpt-4o-mini"
    openai_timeout_seconds: float = Field(default=8.0, gt=0, le=60)
    openai_max_tokens: int = Field(default=400, ge=16, le=4096)
    openai_daily_tokens: int = Field(default=20_000, ge=0, le=10_000_000)
    openai_per_minute: int = Field(default=10, ge=1, le=10_000)
    #: Heavy reads (seasons, patterns, anomalies, history) are cached this long; 0: never.
    answer_cache_seconds: int = Field(default=600, ge=0, le=86_400)


def load_settings() -> InsightsSettings:
    """Read settings from the environment (called by the process, never at import)."""
    return InsightsSettings()
