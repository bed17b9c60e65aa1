"""``ocr_receipts``: one row per receipt job, its status and reading (what polling reads)."""

from __future__ import annotations

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

from contracts.ocr import (
    RECEIPT_FAILED,
    RECEIPT_IMAGE_DELETED,
    RECEIPT_PROCESSED,
    RECEIPT_UPLOADED,
)
from services.ocr.domain import COMPLETED, FAILED, QUEUED
from shared.envelope import EventEnvelope
from shared.projections import Projection

TABLE = "receipts"


class ReceiptsProjection(Projection):
    """Receipt jobs of every user; each event sets the row's state at its version."""

    name = "ocr_receipts"
    sources = ("ocr",)
    handles = frozenset(
        {RECEIPT_UPLOADED, RECEIPT_PROCESSED, RECEIPT_FAILED, RECEIPT_IMAGE_DELETED}
    )

    async def setup(self, conn: AsyncConnection[DictRow]) -> None:
        """Create the receipts table."""
        await conn.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (id uuid PRIMARY KEY, user_id uuid NOT NULL, "
                "status text NOT NULL, image_key text NOT NULL, content_type text NOT NULL, "
                "image_deleted boolean NOT NULL DEFAULT false, engine text NOT NULL, "
                "premium boolean NOT NULL, auto_record boolean NOT NULL, reading jsonb, "
                "error text, error_code text, attempts integer NOT NULL DEFAULT 0, "
                "version bigint NOT NULL, created_at timestamptz NOT NULL, "
                "updated_at timestamptz NOT NULL)"
            ).format(self.table(TABLE))
        )
        await conn.execute(
            sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (user_id, created_at)").format(
                sql.Identifier("ocr_receipts_user"), self.table(TABLE)
            )
        )

    async def drop(self, conn: AsyncConnection[DictRow]) -> None:
        """Drop the receipts table."""
        await conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(self.table(TABLE)))

    async def apply(self, conn: AsyncConnection[DictRow], event: EventEnvelope) -> None:
        """Fold one receipt event into its row."""
        p = event.payload
        table = self.table(TABLE)
        if event.type == RECEIPT_UPLOADED:
            await conn.execute(
                sql.SQL(
                    "INSERT INTO {} (id, user_id, status, image_key, content_type, engine, "
                    "premium, auto_record, version, created_at, updated_at) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT (id) DO NOTHING"
                ).format(table),
                (
                    event.aggregate_id,
                    p["user_id"],
                    QUEUED,
                    p["image_key"],
                    p["content_type"],
                    p["engine"],
                    p["premium"],
                    p["auto_record"],
                    event.aggregate_version,
                    p["uploaded_at"],
                    p["uploaded_at"],
                ),
            )
            return
        if event.type == RECEIPT_PROCESSED:
            reading = p["reading"]
            changes = sql.SQL("status = %s, reading = %s, attempts = %s")
            values: tuple[object, ...] = (COMPLETED, Jsonb(reading), reading.get("attempts", 1))
            at = p["processed_at"]
        elif event.type == RECEIPT_FAILED:
            changes = sql.SQL("status = %s, error = %s, error_code = %s, attempts = %s")
            values = (FAILED, p["reason"], p["code"], p["attempts"])
            at = p["failed_at"]
        else:
            changes, values, at = sql.SQL("image_deleted = %s"), (True,), p["deleted_at"]
        await conn.execute(
            sql.SQL(
                "UPDATE {} SET {}, version = %s, updated_at = %s WHERE id = %s AND version < %s"
            ).format(table, changes),
            (*values, event.aggregate_version, at, event.aggregate_id, event.aggregate_version),
        )
