"""Process managers (policies): consume events, issue commands through an application.

A policy is fed like a projection (a runner, consumer group ``mita.projection.<name>``, the
tracking row of each (service, position) written in the runner's batch transaction), but its
effect is a command on a write model, saved in that model's own transaction. Exactly once in
effect comes from both sides: a redelivered event finds its tracking row and is skipped; an
event decided on but not yet tracked (a crash in between) is decided again, and the aggregate
the command touches refuses what it already holds. A policy keeps no read model, is never
rebuilt (a replay would decide again on old events), and reads through one pool of its own.
"""

from __future__ import annotations

import abc
from typing import Any, ClassVar, Generic, Self, TypeVar, cast

from psycopg import AsyncConnection
from psycopg.rows import DictRow
from psycopg_pool import AsyncConnectionPool

from shared.db import read_model_pool
from shared.envelope import EventEnvelope
from shared.projections import Consumer
from shared.settings import MitaSettings
from shared.store import MitaApplication
from shared.tracing import deciding

App = TypeVar("App", bound=MitaApplication)


class Policy(Consumer):
    """Base of process managers: implement ``decide``; reads borrow the policy's pool."""

    rebuildable: ClassVar[bool] = False

    def __init__(self, schema: str, database_url: str) -> None:
        super().__init__(schema)
        self.database_url = database_url
        self._pool: AsyncConnectionPool[Any] | None = None

    async def setup(self, conn: AsyncConnection[DictRow]) -> None:
        """Open the policy's pool (its decisions are events: there are no tables)."""
        await self.pool()

    async def drop(self, conn: AsyncConnection[DictRow]) -> None:
        """Nothing to drop: a policy must never undo history."""

    async def pool(self) -> AsyncConnectionPool[Any]:
        """The pool the policy reads read models through (opened once)."""
        if self._pool is None:
            # Decisions are serial: one reader and a spare.
            pool = read_model_pool(self.database_url, max_size=2)
            await pool.open()
            self._pool = pool
        return self._pool

    async def apply(self, conn: AsyncConnection[DictRow], event: EventEnvelope) -> None:
        """Decide on one event; reads go through the pool, not the runner's transaction."""
        with deciding(self.name, event):
            async with (await self.pool()).connection() as reader:
                await self.decide(reader, event)

    @abc.abstractmethod
    async def decide(self, reader: AsyncConnection[DictRow], event: EventEnvelope) -> None:
        """Read what the decision needs and issue the command (through the application)."""

    async def close(self) -> None:
        """Close the pool."""
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


class ApplicationPolicy(Policy, Generic[App]):
    """A policy whose commands go to one service's write model (``application_class`` in
    ``service``'s schema), opened from settings and closed with it."""

    service: ClassVar[str]
    application_class: ClassVar[type[MitaApplication]]

    def __init__(self, schema: str, database_url: str, application: App) -> None:
        super().__init__(schema, database_url)
        self.application = application

    @classmethod
    def from_settings(cls, settings: MitaSettings) -> Self:
        """The policy over the write model of ``settings``."""
        app = cls.application_class.from_settings(settings)
        assert isinstance(app, cls.application_class)
        return cls(settings.schema_for(cls.service), settings.database_url, cast(Any, app))

    async def close(self) -> None:
        """Close the pool and the write model."""
        await super().close()
        self.application.close()
