"""/health, /ready and /metrics for processes that serve no API (workers, the scheduler), so
that an orchestrator probes them and Prometheus scrapes them like the HTTP services."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from psycopg import AsyncConnection, errors, sql
from psycopg.rows import DictRow
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from shared import db, watermarks
from shared.metrics import ProcessWide
from shared.projections import tracking_table
from shared.settings import MitaSettings
from shared.sources import SourceTable, store_head

log = logging.getLogger(__name__)


def probe_app(
    name: str, registry: CollectorRegistry, ready: Callable[[], bool] = lambda: True
) -> Starlette:
    """The probe endpoints of one process."""

    async def health(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "process": name})

    async def readiness(_: Request) -> JSONResponse:
        ok = ready()
        return JSONResponse(
            {"status": "ok" if ok else "starting", "process": name}, status_code=200 if ok else 503
        )

    async def metrics(_: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return Starlette(
        routes=[Route("/health", health), Route("/ready", readiness), Route("/metrics", metrics)]
    )


async def serve_probes(app: Starlette, host: str, port: int, stop: asyncio.Event) -> None:
    """Serve ``app`` until ``stop`` (nothing when ``port`` is 0)."""
    if not port:
        return
    import uvicorn

    class Quiet(uvicorn.Server):
        """Leaves signals to the process (its own stop event ends the server)."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    server = Quiet(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    await stop.wait()
    server.should_exit = True
    await task


class WorkerCollector(Collector):
    """Reads a worker's relays' and consumers' own counters at each scrape, and the lag and
    dead letters :meth:`refresh` last measured in Postgres."""

    def __init__(self, relays: Sequence[Any], runners: Sequence[Any]) -> None:
        self.relays = relays
        self.runners = runners
        self.lag: dict[tuple[str, str], int] = {}
        self.dead: dict[str, int] = {}

    async def refresh(self, conn: AsyncConnection[DictRow], settings: MitaSettings) -> None:
        """Measure each consumer's lag behind each source store, and its dead letters."""
        for runner in self.runners:
            consumer = runner.projection
            for service in consumer.sources:
                source = SourceTable(service, settings.schema_for(service))
                head = await store_head(conn, source)
                mark = await watermarks.recorded(conn, source, consumer)
                self.lag[(consumer.name, service)] = max(0, head - mark)
            try:
                cur = await conn.execute(
                    sql.SQL(
                        "SELECT count(*) AS n FROM {} WHERE projection = %s AND dead_lettered"
                    ).format(tracking_table(consumer.schema)),
                    (consumer.name,),
                )
                row = await cur.fetchone()
                self.dead[consumer.name] = int(row["n"]) if row else 0
            except errors.UndefinedTable:  # nothing tracked yet
                self.dead[consumer.name] = 0
            await conn.rollback()

    async def keep_fresh(self, settings: MitaSettings, stop: asyncio.Event, every: float) -> None:
        """Refresh every ``every`` seconds until ``stop`` (a failed turn is logged, retried)."""
        while not stop.is_set():
            try:
                async with await db.connect(settings.database_url) as conn:
                    await self.refresh(conn, settings)
            except Exception as exc:
                log.warning("worker metrics: refresh failed (%r)", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)

    def collect(self) -> Iterable[CounterMetricFamily | GaugeMetricFamily]:
        """Events published per service; consumed, applied and dead-lettered per consumer."""
        published = CounterMetricFamily(
            "mita_events_published", "Events the relay published to Kafka.", labels=["service"]
        )
        for relay in self.relays:
            published.add_metric([relay.service], relay.published_total)
        families = [published]
        for metric, attr, text in (
            ("mita_events_consumed", "consumed_total", "Events a consumer received."),
            ("mita_events_applied", "applied_total", "Events a consumer applied (first time)."),
            ("mita_events_dead_lettered", "dead_lettered", "Events a consumer dead-lettered."),
        ):
            family = CounterMetricFamily(metric, text, labels=["consumer"])
            for runner in self.runners:
                family.add_metric([runner.projection.name], getattr(runner, attr))
            families.append(family)
        lag = GaugeMetricFamily(
            "mita_projection_lag_events",
            "Events a consumer's source store holds beyond its watermark.",
            labels=["consumer", "source"],
        )
        for (consumer, source), value in sorted(self.lag.items()):
            lag.add_metric([consumer, source], value)
        dead = GaugeMetricFamily(
            "mita_dead_letters", "Events a consumer holds dead-lettered now.", labels=["consumer"]
        )
        for consumer, value in sorted(self.dead.items()):
            dead.add_metric([consumer], value)
        return [*families, lag, dead]


def worker_registry(
    relays: Sequence[Any], runners: Sequence[Any]
) -> tuple[CollectorRegistry, WorkerCollector]:
    """A registry exposing a worker's metrics (and the process's own), and its collector."""
    registry = CollectorRegistry()
    collector = WorkerCollector(relays, runners)
    registry.register(collector)
    registry.register(ProcessWide())
    return registry, collector
