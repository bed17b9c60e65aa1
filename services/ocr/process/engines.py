"""The engines a process uses, built once from settings on first use."""

from __future__ import annotations

import threading

from services.ocr.reading.engines import (
    Engine,
    EngineUnavailable,
    TesseractEngine,
    VisionEngine,
    assemble_tessdata,
)
from services.ocr.settings import OcrSettings


class Engines:
    """Tesseract and (when configured) Google Cloud Vision, by name."""

    def __init__(self, settings: OcrSettings) -> None:
        self.settings = settings
        self._built: dict[str, Engine] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> Engine:
        """The engine called ``name`` (Vision without configuration: EngineUnavailable)."""
        with self._lock:
            engine = self._built.get(name)
            if engine is None:
                engine = self._build(name)
                self._built[name] = engine
            return engine

    def _build(self, name: str) -> Engine:
        cfg = self.settings
        if name == "google_vision":
            if not cfg.vision_configured:
                raise EngineUnavailable("Google Cloud Vision is not configured")
            return VisionEngine.connect(
                credentials_file=cfg.ocr_vision_credentials_file or None,
                endpoint=cfg.ocr_vision_endpoint or None,
                anonymous=cfg.ocr_vision_anonymous,
                timeout=cfg.ocr_vision_timeout_seconds,
            )
        languages = assemble_tessdata(cfg.tessdata_dir)
        return TesseractEngine(cfg.tessdata_dir, languages)

    def tesseract_languages(self) -> tuple[str, ...]:
        """The languages Tesseract reads in this process (for /health and job metadata)."""
        return self.get("tesseract").languages()
