"""Reads of the receipt jobs read model (no writes) and the answer the app reads."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from contracts.ocr import IMAGE_PATH, ReceiptOut
from services.ocr.read.projections import TABLE

PROGRESS = {"queued": 0.1, "processing": 0.5, "completed": 1.0, "failed": 1.0}


async def receipt_row(
    conn: AsyncConnection[DictRow], schema: str, receipt_id: uuid.UUID
) -> dict[str, Any] | None:
    """The job's row (None when the read model does not hold it)."""
    cur = await conn.execute(
        sql.SQL("SELECT * FROM {}.{} WHERE id = %s").format(
            sql.Identifier(schema), sql.Identifier(TABLE)
        ),
        (receipt_id,),
    )
    row = await cur.fetchone()
    return dict(row) if row is not None else None


async def uploads_since(
    conn: AsyncConnection[DictRow], schema: str, user_id: uuid.UUID, since: dt.datetime
) -> int:
    """How many receipts a user uploaded since ``since``."""
    cur = await conn.execute(
        sql.SQL("SELECT count(*) AS n FROM {}.{} WHERE user_id = %s AND created_at >= %s").format(
            sql.Identifier(schema), sql.Identifier(TABLE)
        ),
        (user_id, since),
    )
    row = await cur.fetchone()
    return int(row["n"]) if row else 0


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def answer(row: dict[str, Any]) -> dict[str, Any]:
    """The receipt object the app reads (``contracts.ocr.ReceiptOut``)."""
    receipt_id = str(row["id"])
    reading: dict[str, Any] = row.get("reading") or {}
    out: dict[str, Any] = {
        "job_id": receipt_id,
        "receipt_id": receipt_id,
        "status": row["status"],
        "progress": PROGRESS.get(row["status"], 0.0),
        "error": row.get("error"),
        "error_code": row.get("error_code"),
        "receipt_image_path": None
        if row["image_deleted"]
        else IMAGE_PATH.format(receipt_id=receipt_id),
        "is_premium_processing": bool(row["premium"]),
        "auto_record": bool(row["auto_record"]),
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }
    if reading:
        out.update(
            {
                k: reading[k]
                for k in (
                    "merchant",
                    "merchant_normalized",
                    "currency",
                    "date",
                    "time",
                    "raw_text",
                    "merchant_confidence",
                    "total_confidence",
                    "date_confidence",
                    "currency_confidence",
                    "category_confidence",
                    "confidence",
                    "needs_review",
                    "warnings",
                )
                if reading.get(k) is not None
            },
            category=reading.get("category") or "other",
            total=_decimal(reading.get("total")),
            items=[
                {
                    **item,
                    "quantity": _decimal(item.get("quantity")) or Decimal(1),
                    "unit_price": _decimal(item.get("unit_price")),
                    "price": _decimal(item.get("price")) or Decimal(0),
                }
                for item in reading.get("items") or []
            ],
            metadata={
                "engine": reading.get("engine", row["engine"]),
                "languages": reading.get("languages") or [],
                "processing_time_ms": reading.get("processing_time_ms", 0),
                "attempts": reading.get("attempts", 1),
                "categorizer": reading.get("categorizer"),
                "category_source": reading.get("category_source"),
            },
        )
    # Through the contract model: every field present, defaults where the job has no reading.
    return ReceiptOut.model_validate(out).model_dump()
