"""How a service runs, declared once: its app factory, its write model, its consumers and its
event types. ``mita`` (CLI and supervisor) iterates the bootstraps; each imports what it
declares only when it is used, so a process loads just its own service's code."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from shared.settings import MitaSettings

if TYPE_CHECKING:
    from fastapi import FastAPI

    from shared.projections import Consumer
    from shared.store import MitaApplication


def _nothing() -> None:
    """No event types to register."""


@dataclass(frozen=True)
class ConsumerSpec:
    """A projection or policy: its name, the service whose schema holds it, and its factory."""

    name: str
    owner: str
    factory: Callable[[MitaSettings], Consumer]

    def build(self, settings: MitaSettings) -> Consumer:
        """The consumer in its owner's schema."""
        return self.factory(settings)

    @asynccontextmanager
    async def opened(self, settings: MitaSettings) -> AsyncIterator[Consumer]:
        """The consumer for one use, closed afterwards (a policy holds a write model's
        connections: an operator's look at it must not keep them)."""
        consumer = self.factory(settings)
        try:
            yield consumer
        finally:
            await consumer.close()


@dataclass(frozen=True)
class JobSpec:
    """Periodic work the scheduler runs once per tick of ``every_seconds`` (one leader)."""

    name: str
    every_seconds: float
    #: Does the work and says what it did in a few words (logged and kept with the run).
    run: Callable[[MitaSettings], Awaitable[str]]


@dataclass(frozen=True)
class Bootstrap:
    """One service: what ``mita serve`` and ``mita worker`` start for it."""

    service: str
    create_app: Callable[[], FastAPI]
    #: The write model's class (None: the service keeps no event store, as the gateway).
    application: Callable[[], type[MitaApplication]] | None = None
    consumers: tuple[ConsumerSpec, ...] = field(default=())
    #: Registers the service's event types (importing its domain declares them).
    register_events: Callable[[], None] = _nothing
    #: Periodic work this service owns (``mita scheduler`` runs it).
    jobs: tuple[JobSpec, ...] = field(default=())
