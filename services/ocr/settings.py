"""Settings of the ocr service (env prefix ``MITA_``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from shared.settings import InsecureConfigurationError, MitaSettings

EngineName = Literal["auto", "tesseract", "google_vision"]


class OcrSettings(MitaSettings):
    """Ocr service settings; fails fast on invalid or insecure values.

    Engines: ``auto`` is Google Cloud Vision when it is configured (a credentials file, or an
    endpoint with anonymous access for a local server), else Tesseract. ``ocr_premium_engine``
    is used when a client asks for premium reading (``use_premium=true``).
    """

    ocr_engine: EngineName = "auto"
    ocr_premium_engine: EngineName = "auto"
    ocr_vision_credentials_file: str = ""
    ocr_vision_endpoint: str = ""
    ocr_vision_anonymous: bool = False
    ocr_vision_timeout_seconds: float = Field(default=20.0, gt=0, le=120)
    # Where images are kept (default: <data_dir>/receipts) and where Tesseract's language
    # files are linked together (default: <data_dir>/tessdata).
    ocr_image_dir: str = ""
    ocr_tessdata_dir: str = ""
    ocr_max_upload_bytes: int = Field(default=10 * 1_048_576, ge=1024, le=100 * 1_048_576)
    ocr_max_batch_files: int = Field(default=10, ge=1, le=50)
    # How long an upload waits for its reading before answering "processing" (the app waits
    # up to 90 s and never polls).
    ocr_answer_wait_seconds: float = Field(default=45.0, ge=0, le=85)
    ocr_max_attempts: int = Field(default=3, ge=1, le=10)
    ocr_retry_base_seconds: float = Field(default=0.5, ge=0, le=60)
    ocr_uploads_per_hour: int = Field(default=60, ge=1, le=100_000)
    ocr_image_url_ttl_seconds: int = Field(default=900, ge=30, le=86_400)

    def __init__(self, **values: object) -> None:
        super().__init__(**values)
        if self.environment == "prod" and self.ocr_vision_anonymous:
            raise InsecureConfigurationError(
                "MITA_OCR_VISION_ANONYMOUS is for a local Vision server, never set in prod"
            )

    @property
    def vision_configured(self) -> bool:
        """Whether Google Cloud Vision can be called."""
        return bool(self.ocr_vision_credentials_file) or (
            self.ocr_vision_anonymous and bool(self.ocr_vision_endpoint)
        )

    def engine_for(self, premium: bool) -> str:
        """The engine a request uses (``auto`` resolved)."""
        wanted = self.ocr_premium_engine if premium else self.ocr_engine
        if wanted == "auto":
            return "google_vision" if self.vision_configured else "tesseract"
        return wanted

    @property
    def image_dir(self) -> Path:
        """Where receipt images are stored."""
        return Path(self.ocr_image_dir or Path(self.data_dir) / "receipts")

    @property
    def tessdata_dir(self) -> Path:
        """Where Tesseract's language files are linked together."""
        return Path(self.ocr_tessdata_dir or Path(self.data_dir) / "tessdata")


def load_settings() -> OcrSettings:
    """Read settings from the environment (called by the process, never at import)."""
    return OcrSettings()
