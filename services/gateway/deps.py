"""Gateway dependencies: upstream services and the caller's identity."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request

from services.gateway.audit import audit
from services.gateway.upstream import Upstream
from shared import tokens
from shared.api import ApiError
from shared.identity import Authenticator


def get_upstream(request: Request) -> Upstream:
    """The process's upstream clients."""
    upstream: Upstream = request.app.state.upstream
    return upstream


Services = Annotated[Upstream, Depends(get_upstream)]


def get_authenticator(request: Request) -> Authenticator:
    """The process's token verifier."""
    auth: Authenticator = request.app.state.authenticator
    return auth


def version_lookup(upstream: Upstream) -> Callable[[uuid.UUID], Coroutine[Any, Any, int]]:
    """Ask the auth service for a token version the cache does not hold."""

    async def lookup(user_id: uuid.UUID) -> int:
        answer = await upstream.call("auth", "GET", f"/internal/token-version/{user_id}")
        if answer.status_code != 200:
            raise ApiError(503, "Authentication is temporarily unavailable")
        version: int = answer.json()["data"]["token_version"]
        return version

    return lookup


TOKEN_MARKER = "__mita_requires_token__"  # noqa: S105 (an attribute name)


def require(*scopes: str) -> Callable[..., Coroutine[Any, Any, tokens.Claims]]:
    """A dependency: a valid access token carrying ``scopes``."""

    async def dependency(request: Request) -> tokens.Claims:
        try:
            return await get_authenticator(request).require(request, *scopes)
        except ApiError as exc:
            if exc.status in (401, 403):
                event = "auth.token_rejected" if exc.status == 401 else "authz.forbidden"
                reason = getattr(request.state, "auth_failure", exc.message)
                audit(event, request, reason=reason, required=list(scopes))
            raise

    # The marker the OpenAPI document finds guarded routes by (see gateway.openapi).
    setattr(dependency, TOKEN_MARKER, tuple(scopes))
    return dependency


User = Annotated[tokens.Claims, Depends(require())]
ProfileReader = Annotated[tokens.Claims, Depends(require("read:profile"))]
ProfileWriter = Annotated[tokens.Claims, Depends(require("write:profile"))]
Admin = Annotated[tokens.Claims, Depends(require(tokens.ADMIN_SCOPE))]
TransactionsReader = Annotated[tokens.Claims, Depends(require("read:transactions"))]
TransactionsWriter = Annotated[tokens.Claims, Depends(require("write:transactions"))]
OcrReader = Annotated[tokens.Claims, Depends(require("read:ocr"))]
OcrWriter = Annotated[tokens.Claims, Depends(require("write:ocr"))]
InsightsReader = Annotated[tokens.Claims, Depends(require("read:insights"))]
BudgetReader = Annotated[tokens.Claims, Depends(require("read:budget"))]
BudgetManager = Annotated[tokens.Claims, Depends(require("manage:budget"))]
GoalsReader = Annotated[tokens.Claims, Depends(require("read:goals"))]
GoalsWriter = Annotated[tokens.Claims, Depends(require("write:goals"))]
NotificationsReader = Annotated[tokens.Claims, Depends(require("read:notifications"))]
NotificationsWriter = Annotated[tokens.Claims, Depends(require("write:notifications"))]
