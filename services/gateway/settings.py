"""Settings of the public gateway (env prefix ``MITA_``)."""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from shared.settings import Topology


class GatewaySettings(Topology):
    """Gateway settings (with the map of the services it calls); fails fast on invalid or
    insecure values."""

    cors_origins: list[str] = Field(default_factory=lambda: ["http://localhost:3000"])
    max_body_bytes: int = Field(default=1_048_576, ge=1024, le=50 * 1_048_576)
    max_upload_bytes: int = Field(default=10 * 1_048_576, ge=1024, le=100 * 1_048_576)
    rate_limit_per_minute: int = Field(default=120, ge=1, le=100_000)
    auth_rate_limit_per_minute: int = Field(default=20, ge=1, le=100_000)
    slow_request_ms: int = Field(default=1000, ge=1, le=600_000)
    upstream_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    upstream_retries: int = Field(default=2, ge=0, le=5)
    # Idle pooled connections to the services are dropped after this, before the services
    # close them (MITA_HTTP_KEEP_ALIVE_SECONDS).
    upstream_keepalive_seconds: float = Field(default=20.0, gt=0, le=3600)
    # A receipt upload answers with its reading: the OCR service waits up to its own bound
    # (MITA_OCR_ANSWER_WAIT_SECONDS); the app gives up after 90 s.
    ocr_timeout_seconds: float = Field(default=60.0, gt=0, le=120)
    metrics_token: str = ""
    hsts_seconds: int = Field(default=31_536_000, ge=0)

    @model_validator(mode="after")
    def _keepalive_before_the_services(self) -> Self:
        if self.upstream_keepalive_seconds >= self.http_keep_alive_seconds:
            raise ValueError(
                "MITA_UPSTREAM_KEEPALIVE_SECONDS must be shorter than the services' "
                "MITA_HTTP_KEEP_ALIVE_SECONDS (else a request can meet a closing connection)"
            )
        return self


def load_settings() -> GatewaySettings:
    """Read settings from the environment (called by the process, never at import)."""
    return GatewaySettings()
