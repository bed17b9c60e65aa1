"""Runs each job once per tick of its period, on the leader only, each tick claimed in Postgres.

A tick is ``floor(now / every)``. The leader claims ``(job, tick)`` in ``scheduler.job_runs``
before running it, so a tick runs at most once even across a failover (a leader that dies mid-run
leaves its claim; the next tick runs the job again, and every job is safe to repeat).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge
from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from services.scheduler.leader import Leader
from shared import db
from shared.bootstrap import JobSpec
from shared.settings import MitaSettings

log = logging.getLogger(__name__)


class SchedulerMetrics:
    """Job runs by outcome, their duration, and whether this process leads."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.runs = Counter(
            "mita_scheduler_job_runs", "Scheduled job runs by job and outcome.",
            ("job", "outcome"), registry=registry,
        )  # fmt: skip
        self.last_success = Gauge(
            "mita_scheduler_job_last_success_timestamp_seconds",
            "When each job last succeeded (Unix time).", ("job",), registry=registry,
        )  # fmt: skip
        self.leader = Gauge(
            "mita_scheduler_leader", "1 while this scheduler holds leadership.", registry=registry
        )


class Scheduler:
    """The periodic work of every service, run by whichever scheduler process leads."""

    def __init__(
        self,
        settings: MitaSettings,
        jobs: Sequence[JobSpec],
        *,
        poll_seconds: float = 5.0,
        clock: Callable[[], float] = time.time,
        metrics: SchedulerMetrics | None = None,
    ) -> None:
        self.settings = settings
        self.jobs = list(jobs)
        self.poll_seconds = poll_seconds
        self.clock = clock
        self.metrics = metrics
        self.schema = settings.schema_for("scheduler")
        self.leader = Leader(settings.database_url, f"{settings.topic_prefix}:scheduler")
        self.ran: list[tuple[str, int]] = []  # (job, tick) run by this process

    def _table(self) -> sql.Composed:
        return sql.SQL("{}.job_runs").format(sql.Identifier(self.schema))

    async def setup(self, conn: AsyncConnection[DictRow]) -> None:
        """Create the runs table (idempotent)."""
        await db.ensure_schema(conn, self.schema)
        async with conn.transaction():
            # Two schedulers start together: CREATE TABLE IF NOT EXISTS alone can still race.
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (self.schema,))
            await conn.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} (job text NOT NULL, tick bigint NOT NULL, "
                    "started_at timestamptz NOT NULL DEFAULT now(), finished_at timestamptz, "
                    "outcome text NOT NULL DEFAULT 'running', detail text NOT NULL DEFAULT '', "
                    "PRIMARY KEY (job, tick))"
                ).format(self._table())
            )

    async def _claim(self, conn: AsyncConnection[DictRow], job: str, tick: int) -> bool:
        cur = await conn.execute(
            sql.SQL(
                "INSERT INTO {} (job, tick) VALUES (%s, %s) ON CONFLICT DO NOTHING RETURNING job"
            ).format(self._table()),
            (job, tick),
        )
        return await cur.fetchone() is not None

    async def _finish(
        self, conn: AsyncConnection[DictRow], job: str, tick: int, outcome: str, detail: str
    ) -> None:
        await conn.execute(
            sql.SQL(
                "UPDATE {} SET finished_at = now(), outcome = %s, detail = %s "
                "WHERE job = %s AND tick = %s"
            ).format(self._table()),
            (outcome, detail[:2000], job, tick),
        )

    async def run_due(self) -> int:
        """As the leader, run every job whose current tick has not run; how many ran."""
        if not await self.leader.check() or self.leader.conn is None:
            return 0
        conn = self.leader.conn
        ran = 0
        for job in self.jobs:
            tick = int(self.clock() // job.every_seconds)
            if not await self._claim(conn, job.name, tick):
                continue
            ran += 1
            self.ran.append((job.name, tick))
            outcome, detail = "succeeded", ""
            try:
                detail = await job.run(self.settings)
                log.info("scheduler: %s tick %s: %s", job.name, tick, detail)
            except Exception as exc:  # one job's failure must not stop the others
                outcome, detail = "failed", repr(exc)
                log.exception("scheduler: %s tick %s failed", job.name, tick)
            if self.metrics is not None:
                self.metrics.runs.labels(job.name, outcome).inc()
                if outcome == "succeeded":
                    self.metrics.last_success.labels(job.name).set(self.clock())
            await self._finish(conn, job.name, tick, outcome, detail)
        return ran

    def _until_next_tick(self) -> float:
        now = self.clock()
        nearest = min(
            (j.every_seconds - now % j.every_seconds for j in self.jobs), default=self.poll_seconds
        )
        return max(0.01, min(self.poll_seconds, nearest))

    async def run(self, stop: asyncio.Event) -> None:
        """Lead (or wait to) and run due jobs until ``stop``."""
        async with await db.connect(self.settings.database_url) as conn:
            await self.setup(conn)
        try:
            while not stop.is_set():
                try:
                    await self.run_due()
                except Exception:  # the database went away mid-claim: try again next turn
                    log.exception("scheduler: turn failed")
                    await self.leader.close()
                if self.metrics is not None:
                    self.metrics.leader.set(1 if self.leader.leading else 0)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self._until_next_tick())
        finally:
            await self.leader.close()
