"""Each receipt/OCR call with the app's exact payload (api_service.dart:2465-2570, 3239-3320),
who may see what (BOLA), and every unsafe file, through the gateway."""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
import pytest_asyncio
from PIL import Image

from bench.receipts import encoded
from tests.conftest import Infra
from tests.e2e.conftest import Stack, journey_stack_for_ocr
from tests.e2e.owasp_support import assert_error
from tests.e2e.test_app_calls import data
from tests.e2e.test_receipts import app_upload, receipt_spec
from tests.helpers import wait_until

JSON = dict[str, Any]
TODAY = dt.datetime.now(dt.UTC).date()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def calls(infra: Infra) -> AsyncIterator[Stack]:
    """One OCR stack for the module; a small per-user upload limit for its own test."""
    async with journey_stack_for_ocr(infra, ocr_uploads_per_hour=12) as stack:
        yield stack


async def user(stack: Stack) -> dict[str, str]:
    """A fresh user's bearer header."""
    return stack.bearer((await stack.register(timezone="UTC"))["access_token"])


def photo(seed: int = 1, fmt: str = "JPEG") -> bytes:
    """A readable receipt photo."""
    return encoded(receipt_spec(TODAY), fmt, rng=random.Random(seed))


async def scanned(stack: Stack, headers: dict[str, str]) -> JSON:
    """uploadReceipt: the parsed receipt."""
    answer = await stack.client.post(
        "/api/transactions/receipt", files=app_upload(photo()), headers=headers
    )
    receipt: JSON = data(answer)
    return receipt


async def test_advanced_reading_with_the_apps_form(calls: Stack) -> None:
    """processReceiptAdvanced: ``use_premium`` as a string, ``options`` as a JSON string."""
    headers = await user(calls)
    form = {"use_premium": "true", "options": json.dumps({"enhance_image": True})}
    answer = await calls.client.post(
        "/api/transactions/receipt/advanced", files=app_upload(photo()), data=form, headers=headers
    )
    receipt = data(answer)
    assert receipt["is_premium_processing"] is True
    assert receipt["metadata"]["engine"] == "tesseract"  # no Vision configured: the default
    assert receipt["total"] == Decimal("14.10")
    bad = {"use_premium": "maybe"}
    answer = await calls.client.post(
        "/api/transactions/receipt/advanced", files=app_upload(photo()), data=bad, headers=headers
    )
    assert_error(answer, 422)
    answer = await calls.client.post(
        "/api/transactions/receipt/advanced",
        files=app_upload(photo()),
        data={"options": "[1, 2"},
        headers=headers,
    )
    assert_error(answer, 422)


async def test_async_process_and_both_status_routes(calls: Stack) -> None:
    """processReceiptOCR sends the field ``receipt`` (filename receipt.jpg) and gets the job at
    once; getOCRStatus and getOCRProcessingStatus read it until it completes."""
    headers = await user(calls)
    files = {"receipt": ("receipt.jpg", photo(), "application/octet-stream")}
    job = data(await calls.client.post("/api/ocr/process", files=files, headers=headers), 202)
    assert job["status"] in ("queued", "completed")
    job_id = job["job_id"]

    async def completed() -> bool:
        status = data(await calls.client.get(f"/api/ocr/status/{job_id}", headers=headers))
        return bool(status["status"] == "completed")

    await wait_until(completed, 30, "the job")
    status = data(
        await calls.client.get(f"/api/transactions/receipt/status/{job_id}", headers=headers)
    )
    assert status["status"] == "completed"
    assert status["progress"] == 1.0
    assert status["total"] == Decimal("14.10")


async def test_batch_is_one_job_per_image(calls: Stack) -> None:
    """processBatchReceipts: ``files`` with several images; the app's own payload (its list
    holds Futures, which Dio sends as text) is a clear 422, not a crash."""
    headers = await user(calls)
    files = [
        ("files", ("a.jpg", photo(1), "application/octet-stream")),
        ("files", ("b.png", photo(2, "PNG"), "application/octet-stream")),
    ]
    batch = data(
        await calls.client.post(
            "/api/transactions/receipt/batch", files=files, data={"use_premium": "false"},
            headers=headers,
        )
    )  # fmt: skip
    assert (batch["total"], batch["processed"], batch["failed"]) == (2, 2, 0)
    assert len({job["job_id"] for job in batch["jobs"]}) == 2
    assert {job["total"] for job in batch["jobs"]} == {Decimal("14.10")}
    text_parts = [("files", "Instance of 'Future<MultipartFile>'")] * 2
    answer = await calls.client.post(
        "/api/transactions/receipt/batch",
        data={"use_premium": "false"},
        files=[(name, (None, value)) for name, value in text_parts],
        headers=headers,
    )
    body = assert_error(answer, 422)
    assert "image file" in body["detail"]


def app_receipt_json(receipt: JSON) -> JSON:
    """OCRResult.toJson (ocr_service.dart:128): confidences as names, a local date-time."""
    return {
        "merchant": receipt["merchant"],
        "total": float(receipt["total"]),
        "date": f"{receipt['date']}T00:00:00.000",
        "category": receipt["category"],
        "items": [
            {"name": i["name"], "price": float(i["price"]), "confidence": "high", "category": None}
            for i in receipt["items"]
        ],
        "merchant_confidence": "high",
        "total_confidence": "medium",
        "date_confidence": "low",
        "category_confidence": "high",
        "raw_text": receipt["raw_text"],
        "is_premium_processing": False,
        "receipt_image_path": receipt["receipt_image_path"],
        "metadata": {"engine": "tesseract", "processing_time_ms": 120},
    }


async def test_validate_and_enhance_return_the_apps_receipt(calls: Stack) -> None:
    """validateOCRResult and enhanceReceiptData: the same fields and types come back."""
    headers = await user(calls)
    body = app_receipt_json(await scanned(calls, headers))
    checked = data(
        await calls.client.post("/api/transactions/receipt/validate", json=body, headers=headers)
    )
    assert checked["valid"] is True, checked
    assert checked["errors"] == []
    assert checked["merchant"] == "Kaufland"
    assert checked["total"] == Decimal("14.10")
    assert checked["date"] == body["date"]
    assert checked["total_confidence"] == "medium"
    assert [i["price"] for i in checked["items"]] == [Decimal("1.20"), Decimal("12.90")]
    wrong = {**body, "total": 0, "category": "Food & Dining", "date": "yesterday", "merchant": " "}
    checked = data(
        await calls.client.post("/api/transactions/receipt/validate", json=wrong, headers=headers)
    )
    assert checked["valid"] is False
    assert len(checked["errors"]) == 3
    assert checked["category"] == "food"
    chain = {**body, "merchant": "KAUFLAND BULGARIA 4021", "category": "other"}
    enhanced = data(await calls.client.post("/api/ocr/enhance", json=chain, headers=headers))
    assert enhanced["enhanced"] is True
    assert enhanced["merchant"] == "Kaufland"
    assert enhanced["category"] == "groceries"
    assert enhanced["merchant_type"] == "grocery_store"
    assert_error(
        await calls.client.post(
            "/api/ocr/enhance", json={**body, "total": "lots"}, headers=headers
        ),
        422,
    )


async def test_categorize_answers_suggestions(calls: Stack) -> None:
    """getCategorySuggestions reads ``data.suggestions`` as a list of strings."""
    headers = await user(calls)
    for text, expected in (
        ("Lukoil Sofia", "gas"),
        ("Starbucks", "coffee"),
        ("аптека", "healthcare"),
    ):
        answer = await calls.client.post(
            "/api/ocr/categorize", json={"description": text, "amount": 12.5}, headers=headers
        )
        found = data(answer)
        assert found["suggestions"][0] == expected
        assert all(isinstance(s, str) for s in found["suggestions"])
        assert 0 < found["categories"][0]["confidence"] <= 1


async def test_images_are_their_owners_only(calls: Stack) -> None:
    """getReceiptImageUrl gives a signed URL that serves the image; another user sees 404 on
    every id route; deleteReceiptImage removes it (the reading stays)."""
    owner, other = await user(calls), await user(calls)
    receipt = await scanned(calls, owner)
    job = receipt["job_id"]
    image_route = f"/api/transactions/receipt/{job}/image"
    url = data(await calls.client.get(image_route, headers=owner))["url"]
    assert isinstance(url, str)
    served = await calls.client.get(url)
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(served.content)).size[0] > 100
    for path in (image_route, f"/api/ocr/status/{job}", f"/api/transactions/receipt/status/{job}"):
        assert_error(await calls.client.get(path, headers=other), 404)
    assert_error(await calls.client.delete(image_route, headers=other), 404)
    tampered = url.replace("signature=", "signature=0")[: len(url)]
    assert_error(await calls.client.get(tampered), 403)
    forged = url.replace(job, str(uuid.uuid4()))
    assert_error(await calls.client.get(forged), 403)
    expired = url.split("?")[0] + "?expires=1&signature=" + "0" * 64
    assert_error(await calls.client.get(expired), 403)
    gone = data(await calls.client.delete(image_route, headers=owner))
    assert gone == {"deleted": True, "receipt_id": job}
    assert data(await calls.client.delete(image_route, headers=owner))["deleted"] is True
    assert_error(await calls.client.get(url), 404)
    assert_error(await calls.client.get(image_route, headers=owner), 404)
    status = data(await calls.client.get(f"/api/ocr/status/{job}", headers=owner))
    assert status["total"] == Decimal("14.10")
    assert status["receipt_image_path"] is None


def exif_photo() -> bytes:
    """A JPEG carrying GPS coordinates and a comment in its EXIF."""
    image = Image.open(io.BytesIO(photo()))
    exif = Image.Exif()
    exif[0x010E] = "secret description"
    exif[0x8825] = {1: "N", 2: (42.0, 41.0, 50.0), 3: "E", 4: (23.0, 19.0, 20.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


async def stored_image(stack: Stack, headers: dict[str, str], job: str) -> bytes:
    """The bytes the OCR service keeps for a receipt."""
    url = data(await stack.client.get(f"/api/transactions/receipt/{job}/image", headers=headers))
    return (await stack.client.get(url["url"])).content


async def test_metadata_and_polyglots_are_gone(calls: Stack) -> None:
    """EXIF/GPS is stripped and a file's trailing payload does not survive re-encoding."""
    headers = await user(calls)
    assert b"secret description" in exif_photo()
    answer = await calls.client.post(
        "/api/transactions/receipt", files=app_upload(exif_photo()), headers=headers
    )
    kept = await stored_image(calls, headers, data(answer)["job_id"])
    assert b"secret description" not in kept
    assert not Image.open(io.BytesIO(kept)).getexif()
    polyglot = photo() + b"<html><script>alert(1)</script></html>PK\x03\x04"
    answer = await calls.client.post(
        "/api/transactions/receipt", files=app_upload(polyglot), headers=headers
    )
    kept = await stored_image(calls, headers, data(answer)["job_id"])
    assert b"<script>" not in kept
    assert kept.startswith(b"\xff\xd8\xff")


def bomb() -> bytes:
    """A tiny PNG that decodes to 49 megapixels."""
    out = io.BytesIO()
    Image.new("1", (7000, 7000)).save(out, "PNG")
    return out.getvalue()


def heic() -> bytes:
    """A readable receipt as HEIC (the iPhone's format)."""
    from pillow_heif import register_heif_opener

    register_heif_opener()
    out = io.BytesIO()
    Image.open(io.BytesIO(photo())).save(out, "HEIF")
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        (b"", 422, "invalid_image"),
        (b"%PDF-1.7 not an image", 415, "invalid_image"),
        (b"GIF89a" + b"\x00" * 100, 415, "invalid_image"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 64, 422, "invalid_image"),
        ("truncated", 422, "invalid_image"),
        ("bomb", 422, "invalid_image"),
        ("blank", 422, "receipt_unreadable"),
    ],
)
async def test_bad_files_are_clear_4xx(
    calls: Stack, content: bytes | str, status: int, code: str
) -> None:
    """Unsupported, empty, truncated, bomb and unreadable files: a 4xx envelope saying why."""
    headers = await user(calls)
    if content == "truncated":
        whole = photo()
        content = whole[: len(whole) // 2]
    elif content == "bomb":
        content = bomb()
    elif content == "blank":
        out = io.BytesIO()
        Image.new("RGB", (600, 800), "white").save(out, "JPEG")
        content = out.getvalue()
    assert isinstance(content, bytes)
    answer = await calls.client.post(
        "/api/transactions/receipt", files=app_upload(content), headers=headers
    )
    body = assert_error(answer, status, code)
    assert body["detail"]


async def test_heic_webp_and_png_are_read(calls: Stack) -> None:
    """Formats are decided by the bytes, whatever the part's type and file name."""
    headers = await user(calls)
    for content in (heic(), photo(3, "WEBP"), photo(4, "PNG")):
        answer = await calls.client.post(
            "/api/transactions/receipt",
            files={"file": ("photo.jpg", content, "application/octet-stream")},
            headers=headers,
        )
        assert data(answer)["total"] == Decimal("14.10")


async def test_too_large_and_no_file(calls: Stack) -> None:
    """Over 10 MB → 413 from the gateway; a form without ``file`` or a JSON body → 4xx."""
    headers = await user(calls)
    huge = b"\xff\xd8\xff" + b"\x00" * (10 * 1_048_576 + 10)
    answer = await calls.client.post(
        "/api/transactions/receipt", files=app_upload(huge), headers=headers
    )
    assert_error(answer, 413)
    answer = await calls.client.post(
        "/api/transactions/receipt", data={"other": "x"}, files={"x": ("a", b"1")}, headers=headers
    )
    assert_error(answer, 422)
    answer = await calls.client.post("/api/transactions/receipt", json={}, headers=headers)
    assert_error(answer, 415, "unsupported_media_type")


async def test_uploads_per_user_are_limited(calls: Stack) -> None:
    """The 13th upload of the hour (this stack allows 12) is a 429 with Retry-After; another
    user is not affected."""
    headers = await user(calls)
    files = app_upload(b"not an image")
    route = "/api/transactions/receipt"
    for _ in range(12):
        answer = await calls.client.post(route, files=files, headers=headers)
        assert_error(answer, 415, "invalid_image")
    answer = await calls.client.post(route, files=files, headers=headers)
    assert_error(answer, 429)
    assert int(answer.headers["retry-after"]) >= 1
    other = await user(calls)
    answer = await calls.client.post(route, files=files, headers=other)
    assert_error(answer, 415, "invalid_image")


async def test_health_names_the_engines_and_languages(calls: Stack) -> None:
    """/health says which engine reads receipts and which Tesseract languages are installed."""
    body = (await calls.client.get("/health")).json()
    assert body["services"]["ocr"] == "ok"
    assert body["ocr"]["engine"] == "tesseract"
    assert "eng" in body["ocr"]["languages"]
