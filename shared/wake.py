"""Store wake-ups: one LISTEN connection per process, fanned out to every waiting task.

eventsourcing's Postgres recorder NOTIFYs the events table's channel on every insert. A relay
waits for that before reading the store again, and an idle consumer before fetching from the
broker again, so neither polls while nothing happens. One connection serves the process, however
many relays and consumers it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from psycopg import sql

from shared import db

log = logging.getLogger(__name__)


class Wakeups:
    """Channels of the process's relays and consumers, each with the events of its waiters."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._waiters: dict[str, set[asyncio.Event]] = {}
        self._listening: set[str] = set()
        self._task: asyncio.Task[None] | None = None

    def subscribe(self, *channels: str) -> asyncio.Event:
        """An event set on every NOTIFY of any of ``channels`` (the caller clears it)."""
        event = asyncio.Event()
        for channel in channels:
            self._waiters.setdefault(channel, set()).add(event)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._listen(), name="store-wakeups")
        return event

    def unsubscribe(self, event: asyncio.Event) -> None:
        """Stop setting ``event``."""
        for waiters in self._waiters.values():
            waiters.discard(event)

    def _wake_all(self) -> None:
        for waiters in self._waiters.values():
            for event in waiters:
                event.set()

    async def _listen(self) -> None:
        backoff = 0.2
        while any(self._waiters.values()):
            try:
                conn = await db.connect(self.database_url, autocommit=True)
            except Exception as exc:
                log.warning("store wake-ups: cannot connect (%r); waiters poll meanwhile", exc)
                self._wake_all()  # nobody sleeps through an outage
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            backoff = 0.2
            self._listening.clear()
            try:
                # A reconnect may have missed notifications: wake everyone once.
                self._wake_all()
                while any(self._waiters.values()):
                    for channel in set(self._waiters) - self._listening:
                        await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
                        self._listening.add(channel)
                    # Short slices so channels subscribed meanwhile are listened to promptly.
                    async for note in conn.notifies(timeout=0.5):
                        for event in self._waiters.get(note.channel, ()):
                            event.set()
            except Exception as exc:
                log.warning("store wake-ups: connection lost (%r); reconnecting", exc)
            finally:
                with contextlib.suppress(Exception):
                    await conn.close()

    async def close(self) -> None:
        """Stop listening."""
        self._waiters.clear()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
