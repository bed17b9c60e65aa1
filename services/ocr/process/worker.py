"""The reading worker: a process manager over ``ocr.ReceiptUploaded``.

Fed like a policy (``shared.policy``): a redelivered upload finds its tracking row; an upload
read but not yet tracked (the worker died in between) is decided again and the Receipt refuses
a second ending, so each job completes or fails exactly once. Transient engine errors are
retried with backoff; an image the engine or the parser cannot read ends as ReceiptFailed with
a reason the app can show, never a stuck job.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
import uuid
from typing import Any, ClassVar

from psycopg import AsyncConnection
from psycopg.rows import DictRow

from contracts.ocr import RECEIPT_UPLOADED
from services.ocr.application import OcrApplication
from services.ocr.domain import Receipt
from services.ocr.process.engines import Engines
from services.ocr.reading.engines import EngineFailed, EngineUnavailable, TesseractEngine
from services.ocr.reading.pipeline import read_receipt
from services.ocr.settings import OcrSettings
from services.ocr.storage import ImageStore, LocalImageStore
from shared.categorizer.categorizer import Categorizer, default_categorizer
from shared.envelope import EventEnvelope
from shared.policy import Policy
from shared.settings import MitaSettings
from shared.tracing import deciding

log = logging.getLogger(__name__)
UNAVAILABLE = "The receipt reader is unavailable right now. Please try again in a minute."
UNREADABLE = "The receipt could not be read. Please retake the photo in good light."
GONE = "The receipt image was deleted before it could be read."


class ReadingWorker(Policy):
    """Read each uploaded receipt and record the reading (or the failure) on its job."""

    name = "ocr_reader"
    sources = ("ocr",)
    handles = frozenset({RECEIPT_UPLOADED})
    concurrency: ClassVar[int] = 2

    def __init__(
        self,
        schema: str,
        database_url: str,
        *,
        application: OcrApplication,
        store: ImageStore,
        engines: Engines,
        categorizer: Categorizer,
        settings: OcrSettings,
    ) -> None:
        super().__init__(schema, database_url)
        self.application = application
        self.store = store
        self.engines = engines
        self.categorizer = categorizer
        self.settings = settings

    @classmethod
    def from_settings(cls, settings: MitaSettings) -> ReadingWorker:
        """The worker over the ocr write model and image store of ``settings``."""
        cfg = settings if isinstance(settings, OcrSettings) else OcrSettings(**_values(settings))
        app = OcrApplication.from_settings(cfg)
        assert isinstance(app, OcrApplication)
        return cls(
            cfg.schema_for("ocr"),
            cfg.database_url,
            application=app,
            store=LocalImageStore(cfg.image_dir),
            engines=Engines(cfg),
            categorizer=default_categorizer(),
            settings=cfg,
        )

    async def setup(self, conn: AsyncConnection[DictRow]) -> None:
        """Load the engine and train the categorizer before the first upload arrives (the
        worker reads no read model: its pool stays closed)."""
        await asyncio.to_thread(self.warm_up)

    def warm_up(self) -> None:
        """Tesseract's data and the categorizer's model, loaded once."""
        try:
            engine = self.engines.get(self.settings.engine_for(False))
            if isinstance(engine, TesseractEngine):
                engine.warm()
        except EngineUnavailable as exc:  # reported per job; the worker still starts
            log.warning("OCR engine not ready: %s", exc)
        self.categorizer.model()

    async def apply_many(self, conn: AsyncConnection[DictRow], events: list[EventEnvelope]) -> None:
        """Read a batch's receipts side by side (each job is independent)."""
        gate = asyncio.Semaphore(self.concurrency)

        async def one(event: EventEnvelope) -> None:
            async with gate:
                await self.apply(conn, event)

        await asyncio.gather(*(one(e) for e in events))

    async def apply(self, conn: AsyncConnection[DictRow], event: EventEnvelope) -> None:
        """Decide on one upload (no read model is needed: the job itself is loaded)."""
        with deciding(self.name, event):
            await self.decide(conn, event)

    async def decide(self, reader: AsyncConnection[DictRow], event: EventEnvelope) -> None:
        """Read the receipt unless its job already ended."""
        await asyncio.to_thread(self.settle, event.aggregate_id)

    def settle(self, receipt_id: uuid.UUID) -> int:
        """Read one job's image and end the job; the stored position (0: it had ended)."""
        receipt = self.application.receipt(receipt_id)
        if not receipt.pending:
            return 0
        image = self.store.get(receipt.image_key)
        if image is None or receipt.image_deleted:
            return self._fail(receipt, GONE, "image_deleted", 1)
        attempts = self.settings.ocr_max_attempts
        for attempt in range(1, attempts + 1):
            try:
                reading = self._read(receipt, image)
            except EngineUnavailable as exc:
                log.warning(
                    "receipt %s: engine unavailable (attempt %s): %s", receipt.id, attempt, exc
                )
                if attempt < attempts:
                    time.sleep(self.settings.ocr_retry_base_seconds * 2 ** (attempt - 1))
                continue
            except EngineFailed as exc:
                log.info("receipt %s unreadable: %s", receipt.id, exc)
                return self._fail(receipt, UNREADABLE, "unreadable", attempt)
            except Exception as exc:  # a poison image must end its job, not loop forever
                log.exception("receipt %s: reading crashed", receipt.id)
                return self._fail(receipt, UNREADABLE, f"unreadable:{type(exc).__name__}", attempt)
            reading["attempts"] = attempt
            return self.application.complete(receipt.id, reading, dt.datetime.now(dt.UTC))
        return self._fail(receipt, UNAVAILABLE, "engine_unavailable", attempts)

    def _read(self, receipt: Receipt, image: bytes) -> dict[str, Any]:
        engine = self.engines.get(receipt.engine)
        today = receipt.uploaded_at.date()
        return read_receipt(image, engine, self.categorizer, today)

    def _fail(self, receipt: Receipt, reason: str, code: str, attempts: int) -> int:
        return self.application.fail(
            receipt.id, reason=reason, code=code, attempts=attempts, at=dt.datetime.now(dt.UTC)
        )

    async def close(self) -> None:
        """Close the pool and the write model."""
        await super().close()
        self.application.close()


def _values(settings: MitaSettings) -> dict[str, Any]:
    return settings.model_dump()
