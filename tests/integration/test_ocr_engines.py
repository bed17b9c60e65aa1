"""Both engines on real receipts: Tesseract directly, Google Vision through its official
client against a local server speaking its REST protocol (errors and timeouts included)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from bench.receipts import encoded, random_spec
from services.ocr.process.engines import Engines
from services.ocr.reading.engines import EngineFailed, EngineUnavailable, VisionEngine
from services.ocr.reading.images import clean, for_ocr
from services.ocr.reading.pipeline import read_receipt
from services.ocr.settings import OcrSettings
from shared.categorizer.categorizer import default_categorizer
from tests.vision_server import VisionServer, vision_server


@pytest.fixture
def fake_vision(tmp_path: Path) -> Iterator[VisionServer]:
    """The local Vision server."""
    with vision_server(tmp_path / "tessdata") as server:
        yield server


def receipt(seed: int) -> tuple[bytes, Decimal]:
    """A clean English receipt's stored image and its total."""
    spec = random_spec(random.Random(seed), "en")
    spec = type(spec)(**{**spec.__dict__, "effects": (), "rotation": 0.0})
    return clean(encoded(spec, rng=random.Random(seed))).data, spec.total


def vision(server: VisionServer, timeout: float = 5.0) -> VisionEngine:
    """The real client pointed at the local server."""
    return VisionEngine.connect(
        credentials_file=None, endpoint=server.url, anonymous=True, timeout=timeout
    )


def test_tesseract_reads_a_receipt(tmp_path: Path) -> None:
    engines = Engines(OcrSettings(environment="test", ocr_tessdata_dir=str(tmp_path / "td")))
    image, total = receipt(11)
    reading = read_receipt(image, engines.get("tesseract"), default_categorizer())
    assert Decimal(reading["total"]) == total
    assert reading["engine"] == "tesseract"
    assert "eng" in engines.tesseract_languages()


def test_vision_client_reads_through_the_rest_protocol(fake_vision: VisionServer) -> None:
    image, total = receipt(12)
    reading = read_receipt(image, vision(fake_vision), default_categorizer())
    assert Decimal(reading["total"]) == total
    assert reading["engine"] == "google_vision"
    sent = fake_vision.requests[0]["requests"][0]
    # The REST transport sends enums as numbers: 11 is DOCUMENT_TEXT_DETECTION.
    assert sent["features"][0]["type"] in (11, "DOCUMENT_TEXT_DETECTION")
    assert sent["imageContext"]["languageHints"] == ["en", "bg"]


def test_vision_errors_are_told_apart(fake_vision: VisionServer) -> None:
    engine = vision(fake_vision, timeout=1.0)
    grey = for_ocr(receipt(13)[0])
    fake_vision.script = ["error"]
    with pytest.raises(EngineFailed, match="Bad image data"):
        engine.extract(grey)
    fake_vision.script = ["503"]
    with pytest.raises(EngineUnavailable):
        engine.extract(grey)
    fake_vision.script = ["slow"]
    with pytest.raises(EngineUnavailable):
        engine.extract(grey)


def test_vision_is_picked_when_configured(fake_vision: VisionServer, tmp_path: Path) -> None:
    cfg = OcrSettings(
        environment="test",
        ocr_vision_endpoint=fake_vision.url,
        ocr_vision_anonymous=True,
        ocr_tessdata_dir=str(tmp_path / "td"),
    )
    assert cfg.engine_for(premium=True) == "google_vision"
    assert isinstance(Engines(cfg).get("google_vision"), VisionEngine)
    with pytest.raises(EngineUnavailable, match="not configured"):
        Engines(OcrSettings(environment="test")).get("google_vision")
