"""The reading worker on a real store: each job ends exactly once, transient engine errors are
retried with backoff, poison images fail with a reason; the ledger's automatic recording makes
one transaction per receipt however often its event arrives."""

from __future__ import annotations

import datetime as dt
import io
import random
import signal
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from psycopg import AsyncConnection
from psycopg.rows import DictRow

from bench.receipts import encoded
from contracts.ocr import RECEIPT_PROCESSED
from services.ledger.application import LedgerApplication
from services.ledger.projections import UsersProjection
from services.ledger.receipts import ReceiptRecording, transaction_for
from services.ocr.application import OcrApplication
from services.ocr.process.worker import ReadingWorker
from services.ocr.reading.images import clean
from services.ocr.settings import OcrSettings
from shared.settings import MitaSettings
from shared.store import to_envelope
from tests.e2e.test_receipts import receipt_spec
from tests.helpers import drain, settings_env, spawn, wait_until
from tests.vision_server import VisionServer, vision_server

NOW = dt.datetime.now(dt.UTC)


@pytest.fixture
def ocr_settings(settings: MitaSettings, tmp_path: Path) -> OcrSettings:
    """OCR settings in the test's namespace, retries without long pauses."""
    values = settings.model_dump(include=set(OcrSettings.model_fields))
    values.update(
        ocr_image_dir=str(tmp_path / "img"), ocr_tessdata_dir=str(tmp_path / "td"),
        ocr_retry_base_seconds=0.01,
    )  # fmt: skip
    return OcrSettings.model_validate(values)


@pytest.fixture
def worker(ocr_settings: OcrSettings) -> Iterator[ReadingWorker]:
    """A worker over a fresh store."""
    built = ReadingWorker.from_settings(ocr_settings)
    yield built
    built.application.close()


def queue(
    worker: ReadingWorker, image: bytes, engine: str = "tesseract", **extra: Any
) -> uuid.UUID:
    """Store an image and queue its job; the receipt id."""
    cleaned = clean(image)
    receipt_id, user = uuid.uuid4(), extra.pop("user_id", uuid.uuid4())
    key = f"{user}/{receipt_id}.jpg"
    worker.store.put(key, cleaned.data)
    worker.application.upload(
        receipt_id=receipt_id, user_id=user, image_key=key, image=cleaned, engine=engine,
        premium=False, auto_record=extra.get("auto_record", False), at=NOW,
    )  # fmt: skip
    return receipt_id


def photo() -> bytes:
    """A readable receipt."""
    return encoded(receipt_spec(NOW.date()), rng=random.Random(5))


def history(app: OcrApplication, receipt_id: uuid.UUID) -> list[Any]:
    """The events stored for a receipt, oldest first."""
    return list(app.repository.event_store.get(receipt_id))


def stored(app: OcrApplication, receipt_id: uuid.UUID) -> list[str]:
    """Names of the events stored for a receipt, oldest first."""
    return [type(e).__name__ for e in history(app, receipt_id)]


def test_a_job_is_read_once_however_often_it_is_decided(worker: ReadingWorker) -> None:
    receipt_id = queue(worker, photo())
    assert worker.settle(receipt_id) > 0
    assert worker.settle(receipt_id) == 0  # redelivered after a crash before tracking
    assert stored(worker.application, receipt_id) == ["Uploaded", "Processed"]
    reading = worker.application.receipt(receipt_id)
    assert reading.status == "completed"


def test_a_crash_mid_job_still_completes_once(worker: ReadingWorker) -> None:
    """The worker dies after reading, before its result is saved: the redelivered upload is
    read again and completes, once."""
    receipt_id = queue(worker, photo())
    real = worker.application.complete
    calls = {"n": 0}

    def dies_first(*args: Any, **kwargs: Any) -> int:
        calls["n"] += 1
        if calls["n"] == 1:
            raise SystemExit("killed")
        return real(*args, **kwargs)

    worker.application.complete = dies_first  # type: ignore[method-assign]
    with pytest.raises(SystemExit):
        worker.settle(receipt_id)
    assert stored(worker.application, receipt_id) == ["Uploaded"]
    assert worker.settle(receipt_id) > 0
    assert worker.settle(receipt_id) == 0
    assert stored(worker.application, receipt_id) == ["Uploaded", "Processed"]


def test_poison_and_deleted_images_fail_with_a_reason(worker: ReadingWorker) -> None:
    blank = io.BytesIO()
    Image.new("RGB", (400, 600), "white").save(blank, "JPEG")
    receipt_id = queue(worker, blank.getvalue())
    worker.settle(receipt_id)
    failed = worker.application.receipt(receipt_id)
    assert failed.status == "failed"
    gone = queue(worker, photo())
    worker.store.delete(worker.application.receipt(gone).image_key)
    worker.settle(gone)
    assert worker.application.receipt(gone).status == "failed"


@pytest.fixture
def fake_vision(tmp_path: Path) -> Iterator[VisionServer]:
    """The local Vision server."""
    with vision_server(tmp_path / "vision-td") as server:
        yield server


def test_transient_vision_errors_are_retried(
    ocr_settings: OcrSettings, fake_vision: VisionServer
) -> None:
    cfg = ocr_settings.model_copy(
        update={"ocr_vision_endpoint": fake_vision.url, "ocr_vision_anonymous": True}
    )
    built = ReadingWorker.from_settings(cfg)
    try:
        fake_vision.script = ["503"]
        receipt_id = queue(built, photo(), engine="google_vision")
        built.settle(receipt_id)
        job = built.application.receipt(receipt_id)
        assert job.status == "completed"
        processed = history(built.application, receipt_id)[-1]
        assert processed.reading["attempts"] == 2
        assert processed.reading["engine"] == "google_vision"
        fake_vision.script = ["503", "503", "503"]
        down = queue(built, photo(), engine="google_vision")
        built.settle(down)
        last = history(built.application, down)[-1]
        assert (last.code, last.attempts) == ("engine_unavailable", 3)
        fake_vision.script = ["error"]
        refused = queue(built, photo(), engine="google_vision")
        built.settle(refused)
        last = history(built.application, refused)[-1]
        assert (last.code, last.attempts) == ("unreadable", 1)
    finally:
        built.application.close()


async def test_automatic_recording_is_one_transaction_per_receipt(
    worker: ReadingWorker, ocr_settings: OcrSettings, conn: AsyncConnection[DictRow]
) -> None:
    """The same ReceiptProcessed decided twice (a redelivery that found no tracking row)
    records one transaction, with the receipt's link."""
    user = uuid.uuid4()
    receipt_id = queue(worker, photo(), user_id=user, auto_record=True)
    worker.settle(receipt_id)
    notifications = worker.application.recorder.select_notifications(1, 100)
    processed = [
        to_envelope("ocr", n.id, n) for n in notifications if n.originator_id == receipt_id
    ]
    event = next(e for e in processed if e.type == RECEIPT_PROCESSED)
    policy = ReceiptRecording.from_settings(ocr_settings)
    try:
        await UsersProjection(ocr_settings.schema_for("ledger")).setup(conn)
        await conn.commit()
        async with (await policy.pool()).connection() as reader:
            await policy.decide(reader, event)
            await policy.decide(reader, event)
        ledger: LedgerApplication = policy.application
        tx = ledger.transaction(transaction_for(receipt_id))
        assert tx.amount == Decimal("14.10")
        assert tx.receipt_url == f"/api/transactions/receipt/{receipt_id}/image"
        assert tx.user_id == user
        assert ledger.head_position() == 1
    finally:
        await policy.close()


@pytest.mark.slow
async def test_worker_sigkilled_mid_batch_ends_each_job_once(
    worker: ReadingWorker, ocr_settings: OcrSettings, conn: AsyncConnection[DictRow]
) -> None:
    """SIGKILL the worker process after it read part of a batch (its readings saved, its
    tracking rows not): the restarted worker ends every job, each exactly once."""
    jobs = [queue(worker, photo()) for _ in range(4)]
    assert await drain(ocr_settings, service="ocr") == 4
    env = settings_env(
        ocr_settings,
        MITA_OCR_IMAGE_DIR=ocr_settings.ocr_image_dir,
        MITA_OCR_TESSDATA_DIR=ocr_settings.ocr_tessdata_dir,
        MITA_PROJECTION_BATCH_SIZE="4",
    )
    proc = spawn(["project", "ocr_reader"], {**env, "MITA_FAULT_CRASH_AFTER_APPLIED": "2"})
    assert proc.wait(120) == -signal.SIGKILL
    ended = [j for j in jobs if not worker.application.receipt(j).pending]
    assert 0 < len(ended) < 4, "the kill came mid-batch"
    proc = spawn(["project", "ocr_reader"], env)
    try:

        async def all_ended() -> bool:
            return all(not worker.application.receipt(j).pending for j in jobs)

        await wait_until(all_ended, 90, "the restarted worker to end every job")
    finally:
        proc.terminate()
        proc.wait(15)
    for job in jobs:
        assert stored(worker.application, job) == ["Uploaded", "Processed"]
