"""OCR use cases: load, decide, save; each returns the stored position (0: nothing changed)."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import Any

from eventsourcing.application import AggregateNotFoundError

from services.ocr.domain import NotOwner, Receipt
from services.ocr.reading.images import CleanImage
from shared.store import MitaApplication


class OcrApplication(MitaApplication):
    """Write model of the ocr service: receipt jobs."""

    name = "ocr"
    service = "ocr"

    def _save(self, *aggregates: Any) -> int:
        recordings = self.save(*aggregates)
        return max((r.notification.id for r in recordings), default=0)

    def receipt(self, receipt_id: uuid.UUID) -> Receipt:
        """Load a receipt (AggregateNotFoundError for unknown ids)."""
        found: Any = self.repository.get(receipt_id)
        if not isinstance(found, Receipt):
            raise AggregateNotFoundError(receipt_id)
        return found

    def owned(self, receipt_id: uuid.UUID, user_id: uuid.UUID) -> Receipt:
        """A receipt of ``user_id`` (NotOwner otherwise)."""
        receipt = self.receipt(receipt_id)
        receipt.check_owner(user_id)
        return receipt

    def upload(
        self,
        *,
        receipt_id: uuid.UUID,
        user_id: uuid.UUID,
        image_key: str,
        image: CleanImage,
        engine: str,
        premium: bool,
        auto_record: bool,
        at: dt.datetime,
    ) -> tuple[Receipt, int]:
        """Queue the reading of a stored image."""
        receipt = Receipt.upload(
            receipt_id=receipt_id,
            user_id=user_id,
            image_key=image_key,
            content_type=image.content_type,
            width=image.width,
            height=image.height,
            size_bytes=len(image.data),
            sha256=hashlib.sha256(image.data).hexdigest(),
            source_format=image.source_format,
            engine=engine,
            premium=premium,
            auto_record=auto_record,
            uploaded_at=at,
        )
        return receipt, self._save(receipt)

    def complete(self, receipt_id: uuid.UUID, reading: dict[str, Any], at: dt.datetime) -> int:
        """Record a reading (0 when the job had already ended: exactly once)."""
        receipt = self.receipt(receipt_id)
        return self._save(receipt) if receipt.complete(reading, at) else 0

    def fail(
        self, receipt_id: uuid.UUID, *, reason: str, code: str, attempts: int, at: dt.datetime
    ) -> int:
        """End a job without a reading (0 when it had already ended)."""
        receipt = self.receipt(receipt_id)
        return self._save(receipt) if receipt.fail(reason, code, attempts, at) else 0

    def delete_image(self, receipt_id: uuid.UUID, user_id: uuid.UUID, at: dt.datetime) -> int:
        """Record that the owner deleted the image (0 when it already was)."""
        receipt = self.owned(receipt_id, user_id)
        return self._save(receipt) if receipt.delete_image(user_id, at) else 0


__all__ = ["NotOwner", "OcrApplication"]
