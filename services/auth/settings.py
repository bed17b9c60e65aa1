"""Settings of the auth service (env prefix ``MITA_``)."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator

from shared.settings import InsecureConfigurationError, MitaSettings

GOOGLE_CERTS_URL = (
    "https://www.googleapis.com/robot/v1/metadata/x509/securetoken@system.gserviceaccount.com"
)


class AuthSettings(MitaSettings):
    """Auth service settings; fails fast on invalid or insecure values."""

    access_token_ttl_seconds: int = Field(default=7200, ge=60, le=86_400)
    refresh_token_ttl_seconds: int = Field(default=30 * 86_400, ge=3600, le=365 * 86_400)
    reset_token_ttl_seconds: int = Field(default=3600, ge=300, le=86_400)
    login_max_failures_per_account: int = Field(default=5, ge=1, le=1000)
    login_max_failures_per_ip: int = Field(default=30, ge=1, le=100_000)
    login_failure_window_seconds: int = Field(default=900, ge=10, le=86_400)
    # Mail: SMTP when configured (smtp://user:pass@host:port, smtps:// = TLS), else an outbox.
    smtp_url: str = ""
    mail_from: str = "MITA <no-reply@mita.local>"
    mail_outbox: str = "var/mail/outbox.jsonl"
    # Google sign-in: verified with firebase-admin when a Firebase project id is configured.
    google_project_id: str = ""
    google_certs_url: str = GOOGLE_CERTS_URL
    reset_link_base: str = "mita://reset-password?token="
    admin_emails: list[str] = Field(default_factory=list)
    # In-app purchases: the stores (Apple's verifyReceipt for iOS, Google Play's Android
    # Publisher API for Android), or the local test store (receipts signed with a key derived
    # from MITA_IAP_LOCAL_SECRET, else from MITA_SECRET_KEY; never in prod).
    iap_verifier: Literal["local", "stores"] = "local"
    iap_local_secret: SecretStr = SecretStr("")
    app_store_verify_url: str = "https://buy.itunes.apple.com/verifyReceipt"
    app_store_sandbox_url: str = "https://sandbox.itunes.apple.com/verifyReceipt"
    app_store_shared_secret: SecretStr = SecretStr("")
    google_play_package: str = ""
    #: A service-account JSON file with the androidpublisher scope; empty: ADC.
    google_play_credentials_file: str = ""
    google_play_api_url: str = "https://androidpublisher.googleapis.com"

    @model_validator(mode="after")
    def _real_store_in_prod(self) -> Self:
        if self.environment == "prod" and self.iap_verifier == "local":
            raise InsecureConfigurationError(
                "MITA_IAP_VERIFIER=local is the test store; prod verifies with the stores"
            )
        if self.iap_verifier == "stores" and not self.app_store_shared_secret.get_secret_value():
            raise ValueError("MITA_APP_STORE_SHARED_SECRET is needed to verify App Store receipts")
        if self.iap_verifier == "stores" and not self.google_play_package:
            raise ValueError("MITA_GOOGLE_PLAY_PACKAGE is needed to verify Google Play purchases")
        return self

    def iap_local_key_secret(self) -> str:
        """What the local test store's key is derived from."""
        return self.iap_local_secret.get_secret_value() or self.secret_key.get_secret_value()


def load_settings() -> AuthSettings:
    """Read settings from the environment (called by the process, never at import)."""
    return AuthSettings()
