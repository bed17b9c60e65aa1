"""Prometheus metrics: HTTP requests per app (latency by route template), and the process's
own (events appended, cache hits and misses, read-model pool use and slow connection uses)."""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from collections.abc import AsyncIterator, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from psycopg_pool import AsyncConnectionPool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: A read-model connection held longer than this counts as a slow use (a slow query, mostly).
SLOW_USE_SECONDS = 0.25


class ProcessMetrics:
    """Metrics that belong to the process rather than to one app."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.appended = Counter(
            "mita_events_appended", "Events appended to a service's store by this process.",
            ("service",), registry=self.registry,
        )  # fmt: skip
        self.cache = Counter(
            "mita_cache_requests", "Cache lookups by cache and result (hit or miss).",
            ("cache", "result"), registry=self.registry,
        )  # fmt: skip
        self.connection_use = Histogram(
            "mita_db_connection_use_seconds",
            "How long a read-model connection was held per use (its queries), by pool.",
            ("pool",), registry=self.registry,
        )  # fmt: skip
        self.slow_uses = Counter(
            "mita_db_slow_queries",
            f"Read-model connection uses longer than {SLOW_USE_SECONDS}s, by pool.",
            ("pool",), registry=self.registry,
        )  # fmt: skip

    def cache_lookup(self, cache: str, hit: bool) -> None:
        """Count one lookup."""
        self.cache.labels(cache, "hit" if hit else "miss").inc()


@functools.cache
def process_metrics() -> ProcessMetrics:
    """This process's metrics (made on first use, never at import)."""
    return ProcessMetrics()


class ProcessWide(Collector):
    """The process-wide metrics (events appended, caches) inside another registry."""

    def collect(self) -> Iterable[Any]:
        """Everything the process registry holds."""
        return process_metrics().registry.collect()


class TimedPool(AsyncConnectionPool[Any]):
    """A read-model pool that times each use of a connection."""

    def __init__(self, *args: Any, pool_label: str = "read", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pool_label = pool_label

    @contextlib.asynccontextmanager
    async def connection(self, timeout: float | None = None) -> AsyncIterator[Any]:
        """A connection for a block, its holding time observed."""
        async with super().connection(timeout) as conn:
            began = time.perf_counter()
            try:
                yield conn
            finally:
                spent = time.perf_counter() - began
                metrics = process_metrics()
                metrics.connection_use.labels(self.pool_label).observe(spent)
                if spent > SLOW_USE_SECONDS:
                    metrics.slow_uses.labels(self.pool_label).inc()


class PoolCollector(Collector):
    """The read-model pool's size, idle connections and waiting requests at each scrape."""

    def __init__(self, pool: AsyncConnectionPool[Any], label: str) -> None:
        self.pool = pool
        self.label = label

    def collect(self) -> Iterable[GaugeMetricFamily | CounterMetricFamily]:
        """Gauges from the pool's own statistics."""
        stats = self.pool.get_stats()
        families: list[GaugeMetricFamily | CounterMetricFamily] = []
        for key, name, text in (
            ("pool_max", "mita_db_pool_max", "Largest size the pool may grow to."),
            ("pool_size", "mita_db_pool_size", "Connections the pool holds now."),
            ("pool_available", "mita_db_pool_available", "Idle connections in the pool."),
            ("requests_waiting", "mita_db_pool_waiting", "Requests waiting for a connection."),
        ):
            family = GaugeMetricFamily(name, text, labels=["pool"])
            family.add_metric([self.label], float(stats.get(key, 0)))
            families.append(family)
        waited = CounterMetricFamily(
            "mita_db_pool_wait_seconds", "Time requests waited for a connection.", labels=["pool"]
        )
        waited.add_metric([self.label], stats.get("requests_wait_ms", 0) / 1000)
        families.append(waited)
        return families


UNMATCHED = "unmatched"
METHODS: frozenset[str] = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"}
)


class HttpMetrics:
    """Request counter and latency histogram in a registry of their own (which shows the
    process-wide metrics too)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self.registry.register(ProcessWide())
        self.requests = Counter(
            "mita_http_requests",
            "HTTP requests by method, route template and status.",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "mita_http_request_duration_seconds",
            "HTTP request latency by method and route template.",
            ("method", "route"),
            registry=self.registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Record one finished request."""
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def exposition(self) -> bytes:
        """The registry in the Prometheus text format."""
        return generate_latest(self.registry)


def route_template(scope: Scope) -> str:
    """The matched route's path template (bounded label values), else ``unmatched``."""
    path = getattr(scope.get("route"), "path", None)
    if isinstance(path, str) and path:
        return path
    # FastAPI sets scope["route"] only for its own routes; plain Starlette ones (/docs,
    # /openapi.json) leave just their endpoint behind.
    endpoint = scope.get("endpoint")
    if endpoint is None:
        return UNMATCHED
    if not scope.get("path_params"):
        return str(scope.get("path") or UNMATCHED)  # a static route: the path is the template
    routes: Any = getattr(getattr(scope.get("app"), "router", None), "routes", ())
    for route in routes:
        if getattr(route, "endpoint", None) is endpoint and isinstance(route.path, str):
            return str(route.path)
    return UNMATCHED


def method_label(scope: Scope) -> str:
    """The request method, folded to OTHER when not a standard one."""
    method = str(scope.get("method", "")).upper()
    return method if method in METHODS else "OTHER"


class MetricsMiddleware:
    """Counts and times every HTTP request; logs those slower than ``slow_request_ms``."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: HttpMetrics,
        slow_request_ms: int,
        slow_log: str = "mita.gateway.slow",
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.slow_request_ms = slow_request_ms
        self.slow_log = logging.getLogger(slow_log)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Time the request until its last body chunk (or its failure)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_tracking(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_tracking)
        finally:
            self._record(scope, status, time.perf_counter() - start)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        """Update the metrics and log a slow request."""
        method = method_label(scope)
        self.metrics.observe(method, route_template(scope), status, seconds)
        duration_ms = seconds * 1000
        if duration_ms >= self.slow_request_ms:
            path = scope.get("path", "")
            self.slow_log.warning(
                "slow request %s %s -> %s in %.1f ms",
                method,
                path,
                status,
                duration_ms,
                extra={
                    "method": method,
                    "path": path,
                    "status": status,
                    "duration_ms": round(duration_ms, 1),
                },
            )
