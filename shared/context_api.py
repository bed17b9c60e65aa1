"""What an internal service's API needs per process: settings, read-model pool, write model."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from psycopg_pool import AsyncConnectionPool

from shared.api import ApiError, invalid
from shared.errors import InvalidField
from shared.projections import wait_for_position
from shared.settings import MitaSettings


@dataclass
class ServiceContext:
    """Shared parts of a service's context; subclasses name the service and its projection."""

    settings: MitaSettings
    pool: AsyncConnectionPool[Any]

    service: ClassVar[str]
    projection: ClassVar[str]

    @property
    def schema(self) -> str:
        """The service's schema (event store and read models)."""
        return self.settings.schema_for(self.service)

    async def run(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a (blocking) write-model use case off the event loop."""
        return await asyncio.to_thread(fn, *args, **kwargs)

    async def caught_up(
        self, position: int, source: str | None = None, projection: str | None = None
    ) -> bool:
        """Read-your-writes: wait (bounded) until ``projection`` (default: the main read model)
        has the event at ``position`` of ``source`` (default: this service's own store)."""
        if position <= 0:
            return True
        async with self.pool.connection() as conn:
            return await wait_for_position(
                conn,
                self.schema,
                projection or self.projection,
                source or self.service,
                position,
                self.settings.read_your_writes_timeout,
            )

    async def decided(
        self,
        decide: Callable[[], Any],
        *,
        projection: str,
        not_found: tuple[type[Exception], str],
        conflicts: tuple[type[Exception], ...] = (),
    ) -> Any:
        """Run a write use case whose result names its ``position``, answering the context's
        refusals as API errors (not found → 404 with its message, a refused field → 422 on
        it, a conflict → 409), then wait (bounded) until ``projection`` has it."""
        missing, message = not_found
        try:
            saved = await self.run(decide)
        except missing:
            raise ApiError(404, message) from None
        except InvalidField as exc:
            raise invalid(exc.field, str(exc)) from exc
        except conflicts as exc:
            raise ApiError(409, str(exc)) from exc
        await self.caught_up(saved.position, projection=projection)
        return saved

    @staticmethod
    def now() -> dt.datetime:
        """The clock (read in the use case layer, passed into decisions)."""
        return dt.datetime.now(dt.UTC)
