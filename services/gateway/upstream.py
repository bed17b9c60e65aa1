"""Calls from the gateway to internal services: pooled httpx clients, timeouts, safe retries."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import Response

from shared import jsonutil
from shared.api import ApiError, JSONResponse, error_body
from shared.observability import current_trace_context, request_id_var

log = logging.getLogger(__name__)
FORWARDED_HEADERS = (
    "authorization",
    "idempotency-key",
    "x-user-timezone",
    "accept-language",
    "user-agent",
)
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}
)


def is_error_envelope(response: httpx.Response) -> bool:
    """Whether an upstream error answer is our JSON error envelope."""
    if not response.headers.get("content-type", "").startswith("application/json"):
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("success") is False and "error" in body


#: The answer headers a service's reply keeps through the gateway.
RELAYED_HEADERS = frozenset(
    {"content-type", "retry-after", "www-authenticate", "cache-control", "content-disposition",
     "x-mita-event-count"}
)  # fmt: skip


class Upstream:
    """One pooled client per internal service."""

    def __init__(
        self,
        base_urls: Mapping[str, str],
        *,
        timeout: float,
        retries: int,
        keepalive: float = 5.0,
        transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
    ) -> None:
        self.retries = retries
        self.clients = {
            name: httpx.AsyncClient(
                base_url=url,
                timeout=httpx.Timeout(timeout, connect=min(timeout, 3.0)),
                limits=httpx.Limits(
                    max_connections=100, max_keepalive_connections=20, keepalive_expiry=keepalive
                ),
                transport=(transports or {}).get(name),
            )
            for name, url in base_urls.items()
        }

    async def aclose(self) -> None:
        """Close every pool."""
        await asyncio.gather(*(c.aclose() for c in self.clients.values()))

    def _headers(self, request: Request | None, *, bearer: bool = True) -> dict[str, str]:
        headers = {"x-request-id": request_id_var.get() or "", **current_trace_context()}
        if request is not None:
            for name in FORWARDED_HEADERS:
                if name == "authorization" and not bearer:
                    continue
                value = request.headers.get(name)
                if value is not None:
                    headers[name] = value
            if request.client is not None:
                headers["x-client-ip"] = request.client.host
        return headers

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        request: Request | None = None,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        bearer: bool = True,
        raw: tuple[bytes, str] | None = None,
        timeout: float | None = None,
        token: str | None = None,
    ) -> httpx.Response:
        """Send one request (``json``, or ``raw`` bytes with their content type); retry
        connection failures and timeouts of idempotent calls only. ``token`` is the bearer
        to send instead of the caller's header (the admin portal's session)."""
        client = self.clients[service]
        content = jsonutil.dumps(json) if json is not None else None
        headers = self._headers(request, bearer=bearer and token is None)
        if token is not None:
            headers["authorization"] = f"Bearer {token}"
        if content is not None:
            headers["content-type"] = "application/json"
        if raw is not None:
            content, headers["content-type"] = raw
        extra: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
        attempts = 1 + (self.retries if method.upper() in IDEMPOTENT else 0)
        for attempt in range(attempts):
            try:
                return await client.request(
                    method, path, content=content, params=params, headers=headers, **extra
                )
            except httpx.TimeoutException as exc:
                if attempt + 1 == attempts:
                    raise ApiError(504, f"The {service} service did not answer in time") from exc
            except httpx.TransportError as exc:
                if attempt + 1 == attempts:
                    log.warning("%s unreachable: %r", service, exc)
                    raise ApiError(503, f"The {service} service is unavailable") from exc
            await asyncio.sleep(0.05 * 2**attempt)
        raise AssertionError("unreachable")

    async def forward(
        self,
        service: str,
        request: Request,
        path: str | None = None,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        bearer: bool = True,
    ) -> Response:
        """Relay a public call to a service and its answer back (status, body, safe headers)."""
        upstream = await self.call(
            service,
            request.method,
            path or request.url.path.removeprefix("/api"),
            request=request,
            json=json,
            params=params if params is not None else dict(request.query_params),
            bearer=bearer,
        )
        return self.relay(service, upstream)

    @staticmethod
    def relay(service: str, upstream: httpx.Response) -> Response:
        """A service's answer as the gateway returns it (status, body, safe headers only)."""
        if upstream.status_code >= 400 and not is_error_envelope(upstream):
            # Never relay a foreign error page (or a traceback): only our envelope leaves.
            log.warning("%s answered %s without an envelope", service, upstream.status_code)
            status = upstream.status_code if upstream.status_code < 500 else 502
            return JSONResponse(
                error_body(status, "Upstream service error" if status >= 500 else "Request failed"),
                status_code=status,
            )
        headers = {
            k: v
            for k, v in upstream.headers.items()
            if k.lower() not in HOP_BY_HOP and k.lower() in RELAYED_HEADERS
        }
        return Response(upstream.content, status_code=upstream.status_code, headers=headers)
