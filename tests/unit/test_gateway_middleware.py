"""Gateway middleware on tiny apps: security headers, body limit, metrics, slow log, audit."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import redis.asyncio as aioredis
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from starlette.types import Scope

from services.gateway.audit import AUDIT_LOGGER, audit, redact
from services.gateway.metrics import HttpMetrics, MetricsMiddleware, metrics_endpoint
from services.gateway.middleware import (
    API_CSP,
    DOCS_CSP,
    BodySizeLimitMiddleware,
    EnvelopeCORSMiddleware,
    SecurityHeadersMiddleware,
    install_middleware,
)
from services.gateway.ratelimit import RateLimitMiddleware
from services.gateway.settings import GatewaySettings
from shared.api import install_error_handlers, ok
from shared.observability import RequestContextMiddleware

LIMIT, UPLOAD_LIMIT = 1024, 4096
METRICS_TOKEN = "scrape-me-please"
DEAD_REDIS = "redis://127.0.0.1:1/0"


def tiny_app() -> FastAPI:
    """A small app with the shared error handlers."""
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/api/items/{item_id}")
    async def item(item_id: int) -> Any:
        return ok({"id": item_id})

    @app.get("/api/cached")
    async def cached() -> Any:
        return ok({}, headers={"Cache-Control": "max-age=60", "X-Frame-Options": "SAMEORIGIN"})

    @app.post("/api/items")
    async def create(body: dict[str, Any]) -> Any:
        return ok(body)

    @app.post("/api/raw")
    async def raw(request: Request) -> Any:
        return ok({"size": sum([len(c) async for c in request.stream()])})

    @app.post("/api/transactions/{tx}/receipt")
    async def receipt(tx: str, request: Request) -> Any:
        return ok({"size": len(await request.body())})

    @app.get("/api/boom")
    async def boom() -> Any:
        raise RuntimeError("kaboom")

    @app.get("/api/slow")
    async def slow() -> Any:
        await asyncio.sleep(0.02)
        return ok({})

    return app


BASE_SETTINGS: dict[str, Any] = {
    "environment": "test",
    "max_body_bytes": LIMIT,
    "max_upload_bytes": UPLOAD_LIMIT,
    "metrics_token": METRICS_TOKEN,
    "hsts_seconds": 600,
    "topic_prefix": "unitgw",
    "cors_origins": ["https://app.example"],
}


def gateway_settings(**overrides: Any) -> GatewaySettings:
    """Gateway settings for unit tests."""
    return GatewaySettings(**{**BASE_SETTINGS, **overrides})


@pytest.fixture
def secured() -> Iterator[TestClient]:
    """A tiny app behind the security headers only."""
    app = tiny_app()
    app.add_middleware(SecurityHeadersMiddleware, hsts_seconds=600)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def metered_app(slow_ms: int = 10_000, token: str = METRICS_TOKEN) -> FastAPI:
    """A tiny app with metrics, the slow log and /metrics."""
    app = tiny_app()
    app.state.metrics, app.state.metrics_token = HttpMetrics(), token
    app.add_api_route("/metrics", metrics_endpoint, methods=["GET"])
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics, slow_request_ms=slow_ms)
    return app


def assert_secure(response: Any, csp: str = API_CSP) -> None:
    """The always-present security headers."""
    assert response.headers["strict-transport-security"] == "max-age=600; includeSubDomains"
    assert response.headers["content-security-policy"] == csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"


def assert_error(response: Any, status: int, code: str = "payload_too_large") -> dict[str, Any]:
    """The standard error envelope."""
    assert response.status_code == status
    body: dict[str, Any] = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == code
    assert body["detail"] == body["error"]["message"]
    assert body["error"]["error_id"]
    return body


def http_scope(headers: list[tuple[bytes, bytes]], path: str = "/upload") -> Scope:
    """A minimal HTTP scope."""
    return {"type": "http", "method": "POST", "path": path, "headers": headers, "client": None}


def test_security_headers_on_success_404_405_and_500(secured: TestClient) -> None:
    ok_response = secured.get("/api/items/3")
    assert ok_response.status_code == 200
    assert_secure(ok_response)
    assert ok_response.headers["cache-control"] == "no-store"
    for response in (secured.get("/api/nope"), secured.get("/nope"), secured.delete("/api/boom")):
        assert response.status_code in (404, 405)
        assert_secure(response)
        assert response.json()["success"] is False
    crash = secured.get("/api/boom")
    assert assert_error(crash, 500, "internal_error")["detail"] == "Internal server error"
    assert "kaboom" not in crash.text
    assert_secure(crash)
    assert crash.headers["cache-control"] == "no-store"


def test_no_store_only_on_api_and_docs_csp_lets_swagger_load(secured: TestClient) -> None:
    assert "cache-control" not in secured.get("/nope").headers
    response = secured.get("/api/cached")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-frame-options"] == "SAMEORIGIN"  # the app's own choice is kept
    docs = secured.get("/docs")
    assert docs.status_code == 200
    assert_secure(docs, DOCS_CSP)
    assert "https://cdn.jsdelivr.net" in docs.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in docs.headers["content-security-policy"]
    assert_secure(secured.get("/redoc"), DOCS_CSP)
    assert_secure(secured.get("/openapi.json"), API_CSP)
    assert_secure(secured.get("/docsx"), API_CSP)


BAD_SCRAPES = ["", "Bearer wrong", f"Basic {METRICS_TOKEN}", f"Bearer {METRICS_TOKEN}x"]
SCRAPES = [*((METRICS_TOKEN, header) for header in BAD_SCRAPES), ("", "Bearer ")]


@pytest.mark.parametrize(("token", "header"), SCRAPES)
def test_metrics_require_the_token(token: str, header: str) -> None:
    with TestClient(metered_app(token=token)) as client:
        response = client.get("/metrics", headers={"Authorization": header} if header else {})
    assert_error(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"


def test_metrics_count_by_route_template() -> None:
    app = metered_app()
    with TestClient(app, raise_server_exceptions=False) as client:
        for item_id in (1, 2, 3):
            assert client.get(f"/api/items/{item_id}").status_code == 200
        assert client.get("/api/no/such/route").status_code == 404
        assert client.get("/api/boom").status_code == 500
        client.request("BREW", "/api/items/1")
        assert client.get("/docs").status_code == 200
        response = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    line = 'mita_http_requests_total{method="GET",route="/api/items/{item_id}",status="200"} 3.0'
    assert line in text
    assert 'route="unmatched",status="404"' in text
    assert 'route="/api/boom",status="500"' in text
    assert 'method="OTHER"' in text
    assert 'route="/docs",status="200"' in text
    assert "/api/items/1" not in text
    assert "mita_http_request_duration_seconds_bucket" in text
    assert b"/api/boom" not in HttpMetrics().exposition()  # each app has its own registry


def test_slow_requests_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="mita.gateway.slow"):
        with TestClient(metered_app(slow_ms=10_000)) as client:
            client.get("/api/slow")
        assert not [r for r in caplog.records if r.name == "mita.gateway.slow"]
        with TestClient(metered_app(slow_ms=5)) as client:
            client.get("/api/slow")
    slow: list[Any] = [r for r in caplog.records if r.name == "mita.gateway.slow"]
    assert [(r.method, r.path, r.status) for r in slow] == [("GET", "/api/slow", 200)]
    assert slow[0].duration_ms >= 5
    assert "/api/slow" in slow[0].getMessage()


def test_audit_strips_secrets(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=AUDIT_LOGGER):
        returned = audit(
            "auth.login_failed",
            http_scope([], path="/api/auth/login"),
            email="a@example.com",
            password="hunter2",
            Authorization="Bearer abc.def.ghi",
            refresh_token="r",
            client_secret="s",
            nested={"api_token": "t", "kept": 1, "deeper": [{"NewPassword": "p", "n": 2}]},
        )
    (record,) = [r for r in caplog.records if r.name == AUDIT_LOGGER]
    logged = json.loads(record.getMessage())
    assert logged == returned
    assert (logged["event"], logged["path"]) == ("auth.login_failed", "/api/auth/login")
    assert logged["email"] == "a@example.com"
    assert logged["nested"] == {"kept": 1, "deeper": [{"n": 2}]}
    for secret in ("hunter2", "abc.def.ghi", "password", "token", "secret", "uthorization"):
        assert secret not in record.getMessage().lower()


def test_audit_accepts_a_request_and_truncates() -> None:
    request = Request({**http_scope([], path="/api/x"), "client": ("203.0.113.5", 4000)})
    seen = audit("authz.forbidden", request, reason="r" * 2000, needed="admin")
    assert (seen["method"], seen["path"], seen["peer"]) == ("POST", "/api/x", "203.0.113.5")
    assert len(seen["reason"]) < 600
    assert redact({"a": object()})["a"].startswith("<object")


@pytest.fixture
def installed() -> Iterator[tuple[FastAPI, TestClient]]:
    """The full stack with an unreachable Redis (non-auth paths fail open)."""
    app = tiny_app()
    app.add_middleware(RequestContextMiddleware)  # as build_app does
    install_middleware(app, gateway_settings(), aioredis.Redis.from_url(DEAD_REDIS))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield app, client


def test_installed_order_headers_errors_metrics(installed: tuple[FastAPI, TestClient]) -> None:
    app, client = installed
    classes: list[Any] = [m.cls for m in app.user_middleware]
    assert classes == [
        RequestContextMiddleware,  # moved outermost (and not duplicated)
        SecurityHeadersMiddleware,
        EnvelopeCORSMiddleware,
        BodySizeLimitMiddleware,
        RateLimitMiddleware,
        MetricsMiddleware,
    ]
    for path, status in (("/api/items/1", 200), ("/api/missing", 404), ("/api/boom", 500)):
        response = client.get(path, headers={"X-Request-ID": "rid-1"})
        assert response.status_code == status
        assert_secure(response, API_CSP)
        assert response.headers["x-request-id"] == "rid-1"
    big = client.post("/api/raw", content=b"x" * (LIMIT + 1))
    assert_error(big, 413)
    assert_secure(big)
    assert client.get("/metrics").status_code == 401
    scraped = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert scraped.status_code == 200
    assert 'route="/api/items/{item_id}",status="200"' in scraped.text


def test_installed_cors_is_explicit_never_wildcard(installed: tuple[FastAPI, TestClient]) -> None:
    client = installed[1]
    preflight = {"Access-Control-Request-Method": "POST"}
    good = client.options("/api/items", headers={"Origin": "https://app.example", **preflight})
    assert good.status_code == 200
    assert good.headers["access-control-allow-origin"] == "https://app.example"
    assert good.headers["access-control-allow-credentials"] == "true"
    assert_secure(good)
    bad = client.options("/api/items", headers={"Origin": "https://evil.example", **preflight})
    assert bad.status_code == 400
    assert "access-control-allow-origin" not in bad.headers
    settings = gateway_settings(cors_origins=["https://a.example", "*"])
    with pytest.raises(ValueError, match="never"):
        install_middleware(tiny_app(), settings, aioredis.Redis.from_url(DEAD_REDIS))
