"""/health, /ready and /metrics for processes that serve no API (workers, the scheduler), so
that an orchestrator probes them and Prometheus scrapes them like the HTTP services."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


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
    """Reads a worker's relays' and consumers' own counters at each scrape."""

    def __init__(self, relays: Sequence[Any], runners: Sequence[Any]) -> None:
        self.relays = relays
        self.runners = runners

    def collect(self) -> Iterable[CounterMetricFamily]:
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
        return families


def worker_registry(relays: Sequence[Any], runners: Sequence[Any]) -> CollectorRegistry:
    """A registry exposing a worker's counters."""
    registry = CollectorRegistry()
    registry.register(WorkerCollector(relays, runners))
    return registry
