"""OCR domain: the Receipt aggregate, one per uploaded image and its reading job (no I/O)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

from eventsourcing.domain import Aggregate

from shared.envelope import registry

QUEUED = "queued"
COMPLETED = "completed"
FAILED = "failed"
#: A receipt's facts at upload, declared once: the Uploaded event and the aggregate take them.
UPLOAD_FIELDS: dict[str, type] = {
    "user_id": uuid.UUID,
    "image_key": str,
    "content_type": str,
    "width": int,
    "height": int,
    "size_bytes": int,
    "sha256": str,
    "source_format": str,
    "engine": str,
    "premium": bool,
    "auto_record": bool,
    "uploaded_at": dt.datetime,
}


class OcrError(Exception):
    """Base of OCR domain errors."""


class NotOwner(OcrError):
    """The caller does not own the receipt (answered as not found)."""


class Receipt(Aggregate):
    """An uploaded receipt image and the job that reads it: queued, then completed or failed
    exactly once; its image may be deleted later (the reading stays)."""

    class Uploaded(Aggregate.Created):
        """The cleaned image was stored under ``image_key``; reading is queued."""

        __annotations__ = dict(UPLOAD_FIELDS)
        if TYPE_CHECKING:  # the fields come from UPLOAD_FIELDS; mypy reads them as Any

            def __getattr__(self, name: str) -> Any: ...

        def apply(self, aggregate: Aggregate) -> None:
            """Assign the upload's facts (``__init__`` set the job's state)."""
            for name in UPLOAD_FIELDS:
                setattr(aggregate, name, getattr(self, name))

    class Processed(Aggregate.Event):
        """What the engine and the parser read (``reading``: the receipt's fields)."""

        user_id: uuid.UUID
        auto_record: bool
        reading: dict[str, Any]
        processed_at: dt.datetime

        def apply(self, aggregate: Aggregate) -> None:
            """The job is done."""
            assert isinstance(aggregate, Receipt)
            aggregate.status = COMPLETED

    class Failed(Aggregate.Event):
        """Reading gave up: ``reason`` is for the user, ``code`` for clients."""

        user_id: uuid.UUID
        reason: str
        code: str
        attempts: int
        failed_at: dt.datetime

        def apply(self, aggregate: Aggregate) -> None:
            """The job ended without a reading."""
            assert isinstance(aggregate, Receipt)
            aggregate.status = FAILED

    class ImageDeleted(Aggregate.Event):
        """The owner deleted the image (the reading, if any, stays)."""

        user_id: uuid.UUID
        deleted_at: dt.datetime

        def apply(self, aggregate: Aggregate) -> None:
            """The image is gone."""
            assert isinstance(aggregate, Receipt)
            aggregate.image_deleted = True

    def __init__(self) -> None:
        self.status = QUEUED
        self.image_deleted = False

    if TYPE_CHECKING:  # set from UPLOAD_FIELDS

        def __getattr__(self, name: str) -> Any: ...

    @classmethod
    def upload(cls, *, receipt_id: uuid.UUID, **fields: Any) -> Receipt:
        """Decide a new receipt job from its stored image's facts (every UPLOAD_FIELDS name)."""
        if set(fields) != set(UPLOAD_FIELDS):
            raise TypeError(f"receipt fields differ: {sorted(set(fields) ^ set(UPLOAD_FIELDS))}")
        return cls._create(cls.Uploaded, id=receipt_id, **fields)

    def check_owner(self, user_id: uuid.UUID) -> None:
        """Refuse a caller who does not own the receipt."""
        if user_id != self.user_id:
            raise NotOwner("receipt not found")

    @property
    def pending(self) -> bool:
        """Whether the job still waits for its reading."""
        return self.status == QUEUED

    def complete(self, reading: dict[str, Any], at: dt.datetime) -> bool:
        """Record the reading; False (nothing recorded) when the job already ended."""
        if not self.pending:
            return False
        self.trigger_event(
            self.Processed,
            user_id=self.user_id,
            auto_record=self.auto_record,
            reading=reading,
            processed_at=at,
        )
        return True

    def fail(self, reason: str, code: str, attempts: int, at: dt.datetime) -> bool:
        """End the job without a reading; False when it already ended."""
        if not self.pending:
            return False
        self.trigger_event(
            self.Failed, user_id=self.user_id, reason=reason, code=code, attempts=attempts,
            failed_at=at,
        )  # fmt: skip
        return True

    def delete_image(self, user_id: uuid.UUID, at: dt.datetime) -> bool:
        """Delete the image; False when it was already deleted."""
        self.check_owner(user_id)
        if self.image_deleted:
            return False
        self.trigger_event(self.ImageDeleted, user_id=user_id, deleted_at=at)
        return True


registry.register_aggregate("ocr", Receipt)
