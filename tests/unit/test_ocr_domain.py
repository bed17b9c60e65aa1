"""The Receipt aggregate, the OCR settings, image storage, signed links, review rules and
the pipeline with a scripted engine."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from contracts.ocr import ReceiptReview
from services.ocr.domain import UPLOAD_FIELDS, NotOwner, Receipt
from services.ocr.reading.engines import EngineFailed, Extraction, assemble_tessdata
from services.ocr.reading.images import clean
from services.ocr.reading.pipeline import read_receipt
from services.ocr.reading.receipt import Line
from services.ocr.review import enhance, known_category, validate
from services.ocr.settings import OcrSettings
from services.ocr.signing import signature, verify
from services.ocr.storage import LocalImageStore
from shared.categorizer.categorizer import default_categorizer
from shared.cipherkeys import new_key
from shared.settings import InsecureConfigurationError
from tests.unit.test_ocr_images import jpeg

NOW = dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC)


def upload(**changes: Any) -> Receipt:
    """A queued receipt."""
    fields: dict[str, Any] = {
        "user_id": uuid.uuid4(), "image_key": "u/r.jpg", "content_type": "image/jpeg",
        "width": 10, "height": 20, "size_bytes": 30, "sha256": "ab", "source_format": "jpeg",
        "engine": "tesseract", "premium": False, "auto_record": False, "uploaded_at": NOW,
    }  # fmt: skip
    fields.update(changes)
    return Receipt.upload(receipt_id=uuid.uuid4(), **fields)


def test_a_job_ends_exactly_once() -> None:
    receipt = upload()
    assert receipt.pending
    assert receipt.complete({"total": "1.00"}, NOW) is True
    assert receipt.complete({"total": "2.00"}, NOW) is False
    assert receipt.fail("x", "unreadable", 1, NOW) is False
    events = receipt.collect_events()
    assert [type(e).__name__ for e in events] == ["Uploaded", "Processed"]
    failed = upload()
    assert failed.fail("unreadable", "unreadable", 2, NOW) is True
    assert failed.complete({}, NOW) is False
    assert failed.status == "failed"


def test_the_upload_facts_are_declared_once() -> None:
    receipt = upload(auto_record=True)
    assert {name: getattr(receipt, name) for name in UPLOAD_FIELDS}["auto_record"] is True
    fields = set(Receipt.Uploaded.__dataclass_fields__)
    assert fields - {"originator_id", "originator_version", "timestamp", "originator_topic"} == set(
        UPLOAD_FIELDS
    )
    with pytest.raises(TypeError, match="color"):
        Receipt.upload(receipt_id=uuid.uuid4(), color="red")


def test_only_the_owner_deletes_the_image_once() -> None:
    receipt = upload()
    with pytest.raises(NotOwner):
        receipt.delete_image(uuid.uuid4(), NOW)
    assert receipt.delete_image(receipt.user_id, NOW) is True
    assert receipt.delete_image(receipt.user_id, NOW) is False
    assert receipt.image_deleted


def test_engine_choice_and_prod_safety(tmp_path: Path) -> None:
    plain = OcrSettings(environment="test", data_dir=str(tmp_path))
    assert (plain.engine_for(False), plain.engine_for(True)) == ("tesseract", "tesseract")
    assert plain.image_dir == tmp_path / "receipts"
    vision = OcrSettings(
        environment="test", ocr_vision_endpoint="http://127.0.0.1:1", ocr_vision_anonymous=True
    )
    assert vision.engine_for(False) == "google_vision"
    split = OcrSettings(
        environment="test", ocr_vision_credentials_file="/x.json", ocr_engine="tesseract"
    )
    assert (split.engine_for(False), split.engine_for(True)) == ("tesseract", "google_vision")
    with pytest.raises(InsecureConfigurationError, match="ANONYMOUS"):
        OcrSettings(
            environment="prod", secret_key="s" * 40, database_url="postgresql://x",
            kafka_bootstrap="k:9092", redis_url="redis://r", ocr_vision_anonymous=True,
            cipher_key=new_key(),
        )  # fmt: skip


def test_local_store_is_atomic_and_confined(tmp_path: Path) -> None:
    store = LocalImageStore(tmp_path)
    store.put("u/a.jpg", b"x")
    assert store.get("u/a.jpg") == b"x"
    assert [p.name for p in (tmp_path / "u").iterdir()] == ["a.jpg"]
    store.delete("u/a.jpg")
    store.delete("u/a.jpg")
    assert store.get("u/a.jpg") is None
    with pytest.raises(ValueError, match="leaves"):
        store.put("../escape.jpg", b"x")


def test_signed_links_expire_and_name_one_receipt() -> None:
    receipt = uuid.uuid4()
    sig = signature("secret", receipt, 2000)
    assert verify("secret", receipt, 2000, sig, now=1999)
    assert not verify("secret", receipt, 2000, sig, now=2001)
    assert not verify("secret", uuid.uuid4(), 2000, sig, now=1999)
    assert not verify("other", receipt, 2000, sig, now=1999)


def test_tessdata_is_assembled_from_the_found_languages(tmp_path: Path) -> None:
    source = tmp_path / "a"
    source.mkdir()
    (source / "eng.traineddata").write_bytes(b"e")
    (source / "osd.traineddata").write_bytes(b"o")
    target = tmp_path / "t"
    assert assemble_tessdata(target, [source, tmp_path / "missing"]) == ("eng",)
    assert assemble_tessdata(target, [source]) == ("eng",)  # again: links replaced
    assert sorted(p.name for p in target.iterdir()) == ["eng.traineddata", "osd.traineddata"]


class Scripted:
    """An engine that 'reads' a fixed text."""

    name = "scripted"

    def __init__(self, text: str) -> None:
        self.text = text

    def languages(self) -> tuple[str, ...]:
        """English."""
        return ("eng",)

    def extract(self, image: object) -> Extraction:
        """The script, a line per line."""
        return Extraction([Line(t, 0.9) for t in self.text.splitlines()], self.name, ("eng",))


def test_the_pipeline_reads_categorizes_and_times() -> None:
    image = clean(jpeg()).data
    text = "PIZZA NAPOLI\n01.12.2026 19:30\nMARGHERITA 9.50\nTOTAL 9.50 EUR"
    reading = read_receipt(image, Scripted(text), default_categorizer(), dt.date(2026, 12, 1))
    assert reading["merchant"] == "Pizza Napoli"
    assert (reading["total"], reading["currency"], reading["date"]) == ("9.50", "EUR", "2026-12-01")
    assert reading["category"] == "dining"
    assert reading["engine"] == "scripted"
    assert reading["items"][0]["price"] == "9.50"
    assert reading["processing_time_ms"] >= 0
    # The merchant alone is unclear: what was bought decides.
    shop = read_receipt(
        image, Scripted("QWX LTD\nDIESEL 60.00\nTOTAL 60.00"), default_categorizer()
    )
    assert shop["category"] == "gas"
    with pytest.raises(EngineFailed, match="no text"):
        read_receipt(image, Scripted(" \n.."), default_categorizer())


def review(**changes: Any) -> ReceiptReview:
    """The app's receipt JSON."""
    body: dict[str, Any] = {
        "merchant": "Lidl", "total": 12.5, "date": "2026-11-30T00:00:00.000",
        "category": "groceries", "items": [{"name": "Milk", "price": 12.5, "confidence": "high"}],
        "merchant_confidence": "high", "total_confidence": "medium", "date_confidence": "low",
        "category_confidence": "high", "raw_text": "...", "is_premium_processing": False,
    }  # fmt: skip
    body.update(changes)
    return ReceiptReview.model_validate(body)


def test_validate_normalizes_and_explains() -> None:
    today = dt.date(2026, 12, 1)
    checked = validate(review(), default_categorizer(), today)
    assert (checked["valid"], checked["errors"], checked["warnings"]) == (True, [], [])
    assert checked["total"] == Decimal("12.50")
    assert checked["date_confidence"] == "low"
    odd = validate(
        review(date="2027-01-05", category="Toys", items=[{"name": "x", "price": 1}]),
        default_categorizer(),
        today,
    )
    assert odd["valid"] is True
    assert len(odd["warnings"]) == 3  # future date, unknown category, items vs total
    assert odd["category"] == "groceries"  # from the merchant
    assert known_category("Health & Fitness") == "healthcare"
    assert known_category("Personal Care") == "personal_care"
    assert known_category(None) is None


def test_enhance_names_chains_and_fills_the_category() -> None:
    done = enhance(
        review(merchant="LIDL BULGARIA EOOD", category="other"),
        default_categorizer(),
        dt.date(2026, 12, 1),
    )
    assert (done["merchant"], done["category"], done["enhanced"]) == ("Lidl", "groceries", True)
    assert done["merchant_type"] == "grocery_store"
    assert done["category_suggestions"][0] == "groceries"
