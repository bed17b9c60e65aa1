"""Settings of the notifications service (env prefix ``MITA_``)."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from shared.settings import MitaSettings


class NotificationsSettings(MitaSettings):
    """Push goes through Firebase Cloud Messaging (firebase-admin) when configured, else into
    the recorded outbox (``PushSent`` events with channel ``outbox``)."""

    push_provider: Literal["outbox", "firebase"] = "outbox"
    firebase_project_id: str = ""
    #: A service-account JSON file; empty: Application Default Credentials.
    firebase_credentials_file: str = ""
    #: Another FCM v1 endpoint (an emulator, a test server); empty: Google's.
    fcm_endpoint: str = ""
    push_attempts: int = Field(default=3, ge=1, le=10)
    push_backoff_seconds: float = Field(default=0.5, ge=0, le=60)

    @model_validator(mode="after")
    def _firebase_needs_a_project(self) -> Self:
        if self.push_provider == "firebase" and not self.firebase_project_id:
            raise ValueError("MITA_FIREBASE_PROJECT_ID is needed to push through Firebase")
        return self


def load_settings() -> NotificationsSettings:
    """Read settings from the environment (called by the process, never at import)."""
    return NotificationsSettings()
