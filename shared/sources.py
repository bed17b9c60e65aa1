"""A service's notification log as its readers see it (relay, runners, readiness), without
loading the event store library."""

from __future__ import annotations

from dataclasses import dataclass

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from shared import db


@dataclass(frozen=True)
class SourceTable:
    """Where a service's notification log lives."""

    service: str
    schema: str

    @property
    def table(self) -> str:
        """Name of the eventsourcing events table."""
        return db.events_table(self.service)

    def ident(self) -> sql.Composed:
        """Qualified SQL identifier of the events table."""
        return sql.SQL("{}.{}").format(sql.Identifier(self.schema), sql.Identifier(self.table))


async def store_head(conn: AsyncConnection[DictRow], source: SourceTable) -> int:
    """Highest notification id in the source (0 when empty or not created yet)."""
    try:
        cur = await conn.execute(
            sql.SQL("SELECT coalesce(max(notification_id), 0) AS head FROM {}").format(
                source.ident()
            )
        )
    except Exception:
        await conn.rollback()
        return 0
    row = await cur.fetchone()
    return int(row["head"]) if row else 0
