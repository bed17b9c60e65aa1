"""The public gateway process: the only entry point of the mobile app and the admin portal."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx
import redis.asyncio as aioredis
from fastapi import FastAPI, Request
from starlette.responses import Response

from contracts.envelope import Health, ServiceRoot
from services.gateway.deps import version_lookup
from services.gateway.middleware import install_middleware
from services.gateway.openapi import install_openapi
from services.gateway.portal.install import install_portal
from services.gateway.portal.pages import router as portal_router
from services.gateway.routes_admin import router as admin_router
from services.gateway.routes_ai import router as ai_router
from services.gateway.routes_auth import router as auth_router
from services.gateway.routes_behavior import router as behavior_router
from services.gateway.routes_behavior_screens import router as behavior_screens_router
from services.gateway.routes_budget import router as budget_router
from services.gateway.routes_challenges import router as challenges_router
from services.gateway.routes_dashboard import router as dashboard_router
from services.gateway.routes_financial import router as financial_router
from services.gateway.routes_goals import router as goals_router
from services.gateway.routes_habits import router as habits_router
from services.gateway.routes_insights import router as insights_router
from services.gateway.routes_installments import router as installments_router
from services.gateway.routes_ledger import router as ledger_router
from services.gateway.routes_notifications import router as notifications_router
from services.gateway.routes_ocr import router as ocr_router
from services.gateway.routes_premium import router as premium_router
from services.gateway.routes_reports import router as reports_router
from services.gateway.settings import GatewaySettings, load_settings
from services.gateway.upstream import Upstream
from shared.api import JSONResponse
from shared.health import check_all
from shared.identity import Authenticator
from shared.revocation import RevocationStore
from shared.service import build_app
from shared.settings import SERVICES

UPSTREAMS = tuple(s for s in SERVICES if s != "gateway")


def create_app(
    settings: GatewaySettings | None = None,
    *,
    transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
) -> FastAPI:
    """Build the gateway (``transports`` lets tests reach services in-process)."""
    cfg = settings or load_settings()
    redis = aioredis.Redis.from_url(cfg.redis_url, socket_timeout=3, socket_connect_timeout=3)

    @asynccontextmanager
    async def resources(app: FastAPI) -> AsyncIterator[None]:
        upstream = Upstream(
            {s: cfg.url_of(s) for s in UPSTREAMS},
            timeout=cfg.upstream_timeout_seconds,
            retries=cfg.upstream_retries,
            keepalive=cfg.upstream_keepalive_seconds,
            transports=transports,
        )
        app.state.upstream = upstream
        app.state.authenticator = Authenticator(
            cfg.secret_key.get_secret_value(),
            RevocationStore(redis, cfg.redis_prefix("auth")),
            version_lookup(upstream),
        )
        try:
            yield
        finally:
            await upstream.aclose()
            await redis.aclose()

    app = build_app(
        cfg,
        "gateway",
        routers=(
            auth_router,
            dashboard_router,
            ocr_router,
            ledger_router,
            goals_router,
            installments_router,
            financial_router,
            reports_router,
            premium_router,
            notifications_router,
            budget_router,
            insights_router,
            ai_router,
            behavior_router,
            behavior_screens_router,
            habits_router,
            challenges_router,
            admin_router,
            portal_router,
        ),
        resources=resources,
        public=True,
        ops_routes=False,
    )
    install_portal(app)
    app.title = "MITA API"
    app.description = "Public API of MITA for the mobile app and the admin portal."
    app.router.redirect_slashes = False

    @app.get("/", tags=["ops"], response_model=ServiceRoot)
    async def root() -> dict[str, Any]:
        """What this is and where the docs are."""
        return {"name": "MITA API", "version": app.version, "docs": "/docs", "health": "/health"}

    @app.get("/health", tags=["ops"], response_model=Health)
    async def health(request: Request) -> Response:
        """Per-dependency status (200 when everything answers, else 503)."""
        checks = await check_all(cfg)
        upstream: Upstream = request.app.state.upstream

        details: dict[str, Any] = {}

        async def probe(service: str) -> str:
            try:
                answer = await upstream.call(service, "GET", "/health")
            except Exception:
                return "error"
            if answer.status_code != 200:
                return "error"
            if service == "ocr":
                details["ocr"] = answer.json().get("ocr")
            return "ok"

        services = dict(zip(UPSTREAMS, await asyncio.gather(*map(probe, UPSTREAMS)), strict=True))
        healthy = all(checks.values()) and all(v == "ok" for v in services.values())
        body = {
            "status": "healthy" if healthy else "degraded",
            "database": "connected" if checks["database"] else "error",
            "redis": "connected" if checks["redis"] else "error",
            "kafka": "connected" if checks["kafka"] else "error",
            "services": services,
            "config": {"environment": cfg.environment},
            "commit": cfg.commit,
            "ocr": details.get("ocr"),
        }
        return JSONResponse(body, status_code=200 if healthy else 503)

    @app.get("/ready", include_in_schema=False)
    async def ready(request: Request) -> Response:
        """Readiness for the supervisor: the same checks as /health."""
        return await health(request)

    install_openapi(app)
    install_middleware(app, cfg, redis)
    return app
