"""Blue/green rebuilds run in the background of the ops process, one per projection."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass, field

from shared import db
from shared.bluegreen import rebuild_blue_green
from shared.projections import Projection
from shared.settings import MitaSettings

log = logging.getLogger(__name__)


@dataclass
class Job:
    """The state of one rebuild (what ``GET …/rebuild`` shows)."""

    projection: str
    started_at: dt.datetime
    phase: str = "queued"
    done: int = 0
    total: int = 0
    events: int | None = None
    finished_at: dt.datetime | None = None
    error: str | None = None

    @property
    def running(self) -> bool:
        """Whether the rebuild has not finished yet."""
        return self.finished_at is None


class AlreadyRunning(Exception):
    """A rebuild of that projection is under way."""


@dataclass
class Rebuilds:
    """The rebuilds this process started (the last one per projection)."""

    settings: MitaSettings
    jobs: dict[str, Job] = field(default_factory=dict)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def start(self, projection: Projection) -> Job:
        """Start rebuilding ``projection`` blue/green (``AlreadyRunning`` if it is)."""
        current = self.jobs.get(projection.name)
        if current is not None and current.running:
            raise AlreadyRunning(projection.name)
        job = Job(projection.name, dt.datetime.now(dt.UTC))
        self.jobs[projection.name] = job
        task = asyncio.create_task(self._run(job, projection))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return job

    async def _run(self, job: Job, projection: Projection) -> None:
        def progress(done: int, total: int) -> None:
            job.done, job.total = done, total

        def phase(name: str) -> None:
            job.phase = name

        try:
            conn = await db.connect(self.settings.database_url)
            try:
                job.events = await rebuild_blue_green(
                    conn, self.settings, projection, progress=progress, phase=phase
                )
            finally:
                await conn.close()
        except Exception as exc:
            log.exception("rebuild of %s failed", job.projection)
            job.phase, job.error = "failed", repr(exc)
        job.finished_at = dt.datetime.now(dt.UTC)

    async def wait(self) -> None:
        """Wait for every running rebuild (the process is stopping)."""
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
