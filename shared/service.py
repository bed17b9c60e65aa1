"""Common FastAPI service scaffolding: lifespan, /health, /ready, middleware."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, FastAPI
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response

from shared.api import JSONResponse, install_error_handlers
from shared.db import read_model_pool
from shared.health import ReadSide, check_all
from shared.metrics import HttpMetrics, MetricsMiddleware, PoolCollector
from shared.observability import (
    RequestContextMiddleware,
    configure_logging,
    init_sentry,
    init_tracing,
)
from shared.settings import MitaSettings

if TYPE_CHECKING:  # the gateway builds its app here and keeps no event store
    from shared.store import MitaApplication


def install_ops_routes(
    app: FastAPI,
    settings: MitaSettings,
    service: str,
    details: Callable[[], dict[str, Any]] | None = None,
) -> None:
    """``/health`` (liveness, with the service's own ``details``) and ``/ready`` (every
    dependency answers)."""

    read_side = ReadSide(settings, service)

    async def warming() -> list[str] | None:
        """The consumers still catching up after a start (None: cannot tell, the database is
        down)."""
        try:
            return await read_side.behind()
        except Exception:
            return None

    @app.get("/health", tags=["ops"])
    async def health() -> dict[str, Any]:
        """Liveness: the process is up (and whether its read side is still warming up)."""
        behind = await warming()
        body: dict[str, Any] = {"status": "ok", "service": service, "commit": settings.commit}
        body["read_side"] = "unknown" if behind is None else "warming_up" if behind else "ok"
        return body | (details() if details is not None else {})

    @app.get("/ready", tags=["ops"])
    async def ready() -> JSONResponse:
        """Readiness: every dependency answers and the read side has caught up with the
        backlog the stores held at start ("warming_up" until then)."""
        checks = await check_all(settings)
        ok = all(checks.values())
        behind = await warming() if ok else None
        status = "ok" if ok and not behind else "warming_up" if ok else "degraded"
        body = {
            "status": status,
            "service": service,
            "checks": {k: "ok" if v else "error" for k, v in checks.items()},
        }
        if behind:
            body["warming_up"] = behind
        return JSONResponse(body, status_code=200 if status == "ok" else 503)


def pooled_context(
    settings: MitaSettings,
    state_attr: str,
    make: Callable[..., Any],
    *,
    with_redis: bool = False,
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Lifespan resources: a read-model pool (and a Redis client when ``with_redis``) and
    ``make(application, pool[, redis])`` on ``app.state``."""

    @asynccontextmanager
    async def resources(app: FastAPI) -> AsyncIterator[None]:
        pool = read_model_pool(settings.database_url, settings.db_read_pool_max, state_attr)
        await pool.open()
        metrics = getattr(app.state, "metrics", None)
        collector = PoolCollector(pool, state_attr)
        if isinstance(metrics, HttpMetrics):
            metrics.registry.register(collector)
        redis = None
        if with_redis:
            import redis.asyncio as aioredis

            redis = aioredis.Redis.from_url(
                settings.redis_url, socket_timeout=3, socket_connect_timeout=3
            )
        extra = (redis,) if with_redis else ()
        setattr(app.state, state_attr, make(app.state.application, pool, *extra))
        try:
            yield
        finally:
            if redis is not None:
                await redis.aclose()
            if isinstance(metrics, HttpMetrics):
                with contextlib.suppress(KeyError):
                    metrics.registry.unregister(collector)
            await pool.close()

    return resources


#: Internal services log requests slower than this (the gateway's limit is a setting).
SLOW_REQUEST_MS = 1000


async def _metrics(request: Request) -> Response:
    """Prometheus exposition of an internal service (reachable on the internal network only)."""
    metrics: HttpMetrics = request.app.state.metrics
    return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


def build_app(
    settings: MitaSettings,
    service: str,
    *,
    application: Callable[..., MitaApplication] | None = None,
    routers: tuple[APIRouter, ...] = (),
    resources: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
    public: bool = False,
    ops_routes: bool = True,
    health_details: Callable[[], dict[str, Any]] | None = None,
) -> FastAPI:
    """Create a service app; servers are contacted only when the app starts."""
    settings.require_infra()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(service, settings.log_level, settings.log_json)
        init_tracing(service)
        init_sentry(settings.sentry_dsn, settings.environment, settings.commit)
        if application is not None:
            app.state.application = application(
                settings.database_url,
                settings.schema_for(service),
                pool_size=settings.db_write_pool_size,
                max_overflow=settings.db_write_pool_overflow,
                keys=(settings.keys_schema(), settings.master_secret()),
                cipher_keys=settings.cipher_keys(),
            )
        if resources is None:
            yield
        else:
            async with resources(app):
                yield
        store = getattr(app.state, "application", None)
        if store is not None:
            store.close()

    app = FastAPI(
        title=f"MITA {service}",
        version="0.1.0",
        lifespan=lifespan,
        default_response_class=JSONResponse,
        # Internal services keep their schema private; the gateway publishes the public API.
        openapi_url="/openapi.json" if public else None,
        docs_url="/docs" if public else None,
        redoc_url=None,
        # RequestContextMiddleware opens the request's span (and continues the caller's trace);
        # FastAPI's own would be a second, childless server span beside it.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.service = service
    install_error_handlers(app)
    if not public:  # the gateway installs its own middleware stack, request context first
        metrics = HttpMetrics()
        app.state.metrics = metrics
        app.add_api_route("/metrics", _metrics, methods=["GET"], include_in_schema=False)
        app.add_middleware(
            MetricsMiddleware,
            metrics=metrics,
            slow_request_ms=SLOW_REQUEST_MS,
            slow_log=f"mita.{service}.slow",
        )
        app.add_middleware(RequestContextMiddleware)

    if ops_routes:
        install_ops_routes(app, settings, service, health_details)
    for router in routers:
        app.include_router(router)
    return app
