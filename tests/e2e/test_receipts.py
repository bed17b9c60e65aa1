"""Receipt scanning the app's way (ocr_service.dart, receipt_capture_screen.dart), through
the gateway: the upload answers with the parsed receipt, the app records the transaction."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest_asyncio

from bench.receipts import Item, Spec, encoded
from tests.conftest import Infra
from tests.e2e.conftest import Stack, journey_stack_for_ocr
from tests.e2e.owasp_support import assert_error
from tests.e2e.test_app_calls import ONBOARDING, calendar_day, data
from tests.helpers import wait_until

JSON = dict[str, Any]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def ocr_stack(infra: Infra) -> AsyncIterator[Stack]:
    """One stack with the OCR service for the module."""
    async with journey_stack_for_ocr(infra) as stack:
        yield stack


def receipt_spec(day: dt.date, *, header: str = "KAUFLAND BULGARIA", language: str = "bg") -> Spec:
    """A clean receipt with a known total (the OCR is real, so keep the photo readable)."""
    items = (Item("ХЛЯБ ДОБРУДЖА", 1, Decimal("1.20")), Item("СИРЕНЕ", 2, Decimal("6.45")))
    return Spec(
        header=header, merchant="kaufland", category="groceries", language=language,
        currency="BGN", date=day, time="10:15", items=items, date_style="dmy_dot",
        font="DejaVuSansMono.ttf", size=26, tax_rate=Decimal("0.20"),
    )  # fmt: skip


def app_upload(image: bytes) -> dict[str, Any]:
    """The multipart body Dio builds for ``MultipartFile.fromFile`` (octet-stream part)."""
    return {"file": ("IMG_20261201_101500.jpg", image, "application/octet-stream")}


async def onboarded(stack: Stack) -> dict[str, str]:
    """A UTC user with a plan."""
    headers = stack.bearer((await stack.register(timezone="UTC"))["access_token"])
    data(await stack.client.post("/api/onboarding/submit", json=ONBOARDING, headers=headers))
    return headers


async def test_scan_then_the_app_records_the_transaction(ocr_stack: Stack) -> None:
    """Upload → parsed receipt in the same answer → the app's POST → the day's spent grows
    by the total, exactly once (the upload itself recorded nothing)."""
    stack = ocr_stack
    headers = await onboarded(stack)
    today = dt.datetime.now(dt.UTC).date()
    spec = receipt_spec(today)
    image = encoded(spec, rng=random.Random(1))
    before = (await calendar_day(stack, headers, today))["spent"]
    answer = await stack.client.post(
        "/api/transactions/receipt", files=app_upload(image), headers=headers
    )
    receipt: JSON = data(answer)
    assert receipt["status"] == "completed"
    assert receipt["total"] == spec.total == Decimal("14.10")
    assert receipt["merchant"] == "Kaufland"
    assert receipt["date"] == today.isoformat()
    assert receipt["category"] == "groceries"
    assert receipt["metadata"]["engine"] == "tesseract"
    assert "eng" in receipt["metadata"]["languages"]
    # "лв" reads as such only with Debian's Bulgarian data (optional: English alone leaves
    # the currency unknown rather than guessing it).
    bulgarian = "bul" in receipt["metadata"]["languages"]
    assert receipt["currency"] == ("BGN" if bulgarian else None)
    assert [i["price"] for i in receipt["items"]] == [Decimal("1.20"), Decimal("12.90")]
    assert (await calendar_day(stack, headers, today))["spent"] == before
    listed = data(await stack.client.get("/api/transactions/", headers=headers))
    assert listed == []
    # receipt_capture_screen.dart:354-364 with transaction_model.dart:181-201.
    local_midnight = dt.datetime.fromisoformat(receipt["date"]).replace(tzinfo=dt.UTC)
    body = {
        "amount": float(receipt["total"]),
        "category": receipt["category"],
        "merchant": receipt["merchant"],
        "confidence_score": 0.85,
        "notes": "Source: OCR Receipt",
        "spent_at": local_midnight.isoformat().replace("+00:00", "Z"),
    }
    data(await stack.client.post("/api/transactions/", json=body, headers=headers), 201)
    assert (await calendar_day(stack, headers, today))["spent"] == before + spec.total


async def transactions_of(stack: Stack, headers: dict[str, str]) -> list[JSON]:
    """The caller's transactions."""
    listed: list[JSON] = data(await stack.client.get("/api/transactions/", headers=headers))
    return listed


async def test_automatic_recording_when_asked(ocr_stack: Stack) -> None:
    """``auto_record=true``: the reading becomes one transaction with the receipt's link and
    confidence, and the day's spent grows by the total once."""
    stack = ocr_stack
    headers = await onboarded(stack)
    today = dt.datetime.now(dt.UTC).date()
    spec = receipt_spec(today)
    before = (await calendar_day(stack, headers, today))["spent"]
    receipt: JSON = data(
        await stack.client.post(
            "/api/transactions/receipt",
            files=app_upload(encoded(spec, rng=random.Random(2))),
            data={"auto_record": "true"},
            headers=headers,
        )
    )
    assert receipt["auto_record"] is True

    async def recorded() -> bool:
        return len(await transactions_of(stack, headers)) == 1

    await wait_until(recorded, 30, "the automatic transaction")
    (tx,) = await transactions_of(stack, headers)
    assert tx["amount"] == spec.total
    assert tx["category"] == "groceries"
    assert tx["merchant"] == "Kaufland"
    assert tx["receipt_url"] == f"/api/transactions/receipt/{receipt['job_id']}/image"
    assert Decimal("0.5") <= tx["confidence_score"] <= 1

    async def counted() -> bool:
        return bool((await calendar_day(stack, headers, today))["spent"] == before + spec.total)

    await wait_until(counted, 30, "the day's spent")
    assert len(await transactions_of(stack, headers)) == 1


async def test_receipt_url_links_only_the_callers_own_receipt(ocr_stack: Stack) -> None:
    """POST/PUT /transactions with ``receipt_url``: one's own receipt is linked (stored as its
    path); another user's receipt or another kind of link is a 422."""
    stack = ocr_stack
    owner, other = await onboarded(stack), await onboarded(stack)
    today = dt.datetime.now(dt.UTC).date()
    files = app_upload(encoded(receipt_spec(today), rng=random.Random(3)))
    job = data(await stack.client.post("/api/ocr/process", files=files, headers=owner), 202)
    link = f"/api/transactions/receipt/{job['job_id']}/image"
    body = {"amount": 14.1, "category": "groceries", "receipt_url": f"https://mita.example{link}"}
    created = data(await stack.client.post("/api/transactions/", json=body, headers=owner), 201)
    assert created["receipt_url"] == link
    for headers, url in ((other, link), (owner, "https://evil.example/x.jpg")):
        answer = await stack.client.post(
            "/api/transactions/", json={**body, "receipt_url": url}, headers=headers
        )
        assert_error(answer, 422)
    plain = data(
        await stack.client.post(
            "/api/transactions/", json={"amount": 3, "category": "food"}, headers=other
        ),
        201,
    )
    path = f"/api/transactions/{plain['id']}"
    assert_error(await stack.client.put(path, json={"receipt_url": link}, headers=other), 422)
    theirs = data(await stack.client.post("/api/ocr/process", files=files, headers=other), 202)
    mine = f"/api/transactions/receipt/{theirs['job_id']}/image"
    updated = data(await stack.client.put(path, json={"receipt_url": mine}, headers=other))
    assert updated["receipt_url"] == mine
