"""Leadership through a Postgres session advisory lock: held while the connection lives."""

from __future__ import annotations

import logging

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import DictRow

from shared import db

log = logging.getLogger(__name__)


class Leader:
    """Tries for one advisory lock on a dedicated connection; the holder leads.

    A crashed or partitioned leader's session ends, Postgres releases the lock and the next
    try by another scheduler wins it: no lease to expire, no clock to trust.
    """

    def __init__(self, database_url: str, name: str) -> None:
        self.database_url = database_url
        self.name = name
        self.conn: AsyncConnection[DictRow] | None = None
        self.leading = False

    async def check(self) -> bool:
        """Whether this process leads now (takes the lock when it is free)."""
        try:
            if self.conn is None or self.conn.closed:
                self.leading = False
                self.conn = await db.connect(self.database_url, autocommit=True)
            if self.leading:
                await self.conn.execute("SELECT 1")  # still our session, so still our lock
                return True
            cur = await self.conn.execute(
                "SELECT pg_try_advisory_lock(hashtext(%s)) AS won", (self.name,)
            )
            row = await cur.fetchone()
            self.leading = bool(row and row["won"])
            if self.leading:
                log.info("scheduler: leading (%s)", self.name)
        except psycopg.Error as exc:
            log.warning("scheduler: lost the database (%r); not leading", exc)
            await self.close()
        return self.leading

    async def close(self) -> None:
        """Give leadership up (closing the session releases the lock)."""
        self.leading = False
        if self.conn is not None and not self.conn.closed:
            await self.conn.close()
        self.conn = None
