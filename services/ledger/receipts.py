"""What the ledger knows of receipts (from OCR events): whose each receipt is.

``ledger_receipts`` lets the ledger refuse a ``receipt_url`` naming someone else's receipt;
``ReceiptRecording`` is the automatic flow a client opts into (``auto_record``): a completed
reading becomes the transaction, exactly once per receipt (its id is derived from the receipt's,
so a second decision finds it already stored).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Final

from eventsourcing.persistence import IntegrityError
from psycopg import AsyncConnection, errors, sql
from psycopg.rows import DictRow

from contracts.ledger import CATEGORIES
from contracts.ocr import IMAGE_PATH, RECEIPT_PROCESSED, RECEIPT_UPLOADED
from services.ledger.deps import pick_zone
from services.ledger.domain import InvalidTransaction
from services.ledger.policies import LedgerPolicy
from services.ledger.queries import user_defaults
from shared.envelope import EventEnvelope
from shared.projections import Projection, poll

RECEIPT_NAMESPACE: Final = uuid.UUID("2b0f7c1e-93a4-4e0b-8d55-6a1f3c9e7b42")
NOTE: Final = "Source: OCR Receipt (recorded automatically)"
NOON: Final = dt.time(12, 0)


def transaction_for(receipt_id: uuid.UUID) -> uuid.UUID:
    """The id of the transaction recorded from a receipt (one per receipt)."""
    return uuid.uuid5(RECEIPT_NAMESPACE, str(receipt_id))


class ReceiptLinksProjection(Projection):
    """Receipt id → owner, from ``ocr.ReceiptUploaded``."""

    name = "ledger_receipts"
    sources = ("ocr",)
    handles = frozenset({RECEIPT_UPLOADED})

    async def setup(self, conn: AsyncConnection[DictRow]) -> None:
        """Create the receipts table."""
        await conn.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (receipt_id uuid PRIMARY KEY, user_id uuid NOT NULL)"
            ).format(self.table("receipts"))
        )

    async def drop(self, conn: AsyncConnection[DictRow]) -> None:
        """Drop the receipts table."""
        await conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(self.table("receipts")))

    async def apply(self, conn: AsyncConnection[DictRow], event: EventEnvelope) -> None:
        """Remember whose receipt it is."""
        await conn.execute(
            sql.SQL("INSERT INTO {} VALUES (%s, %s) ON CONFLICT DO NOTHING").format(
                self.table("receipts")
            ),
            (event.aggregate_id, event.payload["user_id"]),
        )


async def owns_receipt(
    conn: AsyncConnection[DictRow],
    schema: str,
    user_id: uuid.UUID,
    receipt_id: uuid.UUID,
    wait: float,
) -> bool:
    """Whether the receipt is the user's (waiting, bounded, for a just-uploaded one)."""
    query = sql.SQL("SELECT user_id FROM {}.receipts WHERE receipt_id = %s").format(
        sql.Identifier(schema)
    )
    owner: list[uuid.UUID | None] = [None]

    async def known() -> bool:
        try:
            cur = await conn.execute(query, (receipt_id,))
        except errors.UndefinedTable:  # the projection has not started yet: nothing is known
            await conn.rollback()
            return False
        row = await cur.fetchone()
        await conn.commit()
        owner[0] = row["user_id"] if row else None
        return row is not None

    await poll(known, wait)
    return owner[0] == user_id


def _confidence(value: Any) -> Decimal | None:
    try:
        score = Decimal(str(value)).quantize(Decimal("0.001"), ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return None
    return score if 0 <= score <= 1 else None


def decided_fields(
    reading: dict[str, Any], currency: str | None, zone: dt.tzinfo, receipt_id: uuid.UUID
) -> dict[str, Any] | None:
    """The transaction a reading makes (None when it has no usable total)."""
    try:
        total = Decimal(str(reading.get("total")))
    except (InvalidOperation, ValueError):
        return None
    if not total.is_finite() or total <= 0:
        return None
    day = dt.date.fromisoformat(reading["date"]) if reading.get("date") else None
    clock = dt.time.fromisoformat(reading["time"]) if reading.get("time") else NOON
    spent_at = dt.datetime.combine(day, clock, zone) if day else None
    category = reading.get("category")
    return {
        "amount": total.quantize(Decimal("0.01")),
        "category": category if category in CATEGORIES else "other",
        "merchant": (reading.get("merchant") or None),
        "currency": reading.get("currency") or currency,
        "spent_at": spent_at,
        "confidence_score": _confidence(reading.get("confidence")),
        "receipt_url": IMAGE_PATH.format(receipt_id=receipt_id),
        "notes": NOTE,
    }


class ReceiptRecording(LedgerPolicy):
    """``ocr.ReceiptProcessed`` with ``auto_record`` → the ledger records its transaction."""

    name = "ledger_receipt_recording"
    sources = ("ocr",)
    handles = frozenset({RECEIPT_PROCESSED})

    async def decide(self, reader: AsyncConnection[DictRow], event: EventEnvelope) -> None:
        """Record the receipt's transaction once (a client asked for it)."""
        payload = event.payload
        if not payload.get("auto_record"):
            return
        user = uuid.UUID(str(payload["user_id"]))
        currency, timezone = await user_defaults(reader, self.schema, user)
        await reader.commit()
        fields = decided_fields(
            payload.get("reading") or {}, currency, pick_zone(None, timezone), event.aggregate_id
        )
        if fields is None:
            return
        await asyncio.to_thread(self._record, user, transaction_for(event.aggregate_id), fields)

    def _record(self, user: uuid.UUID, transaction_id: uuid.UUID, fields: dict[str, Any]) -> None:
        try:
            self.application.record(user_id=user, transaction_id=transaction_id, **fields)
        except IntegrityError:
            return  # decided before (a crash between the record and its tracking row)
        except InvalidTransaction:
            return  # a reading the ledger refuses (e.g. an implausible date) records nothing
