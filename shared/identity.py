"""Who is calling: bearer access tokens verified, deny-listed ids and stale versions refused."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends
from starlette.requests import Request

from shared import tokens
from shared.api import ApiError
from shared.revocation import RevocationStore, RevocationUnavailable

VersionLookup = Callable[[uuid.UUID], Awaitable[int]]


def bearer(request: Request) -> str | None:
    """The bearer token of a request, if any."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def signed_claims(request: Request, secret: str, scope: str) -> tokens.Claims:
    """Claims of a validly signed access token carrying ``scope`` (internal services).

    Internal services sit behind the gateway, which already checked revocation; they still
    verify the signature, claims and type themselves rather than trust a header.
    """
    token = bearer(request)
    if token is None:
        raise ApiError(401, "Not authenticated")
    try:
        claims = tokens.verify(secret, token, "access")
    except tokens.TokenError as exc:
        raise ApiError(401, "Invalid or expired token") from exc
    if scope not in claims.scopes:
        raise ApiError(403, "Insufficient scope", details={"required": [scope]})
    return claims


def scoped(scope: str) -> Callable[[Request], Awaitable[tokens.Claims]]:
    """An internal service's dependency: a validly signed access token carrying ``scope``,
    checked with the service's own secret (``app.state.settings``, set by ``build_app``).
    Async, so FastAPI calls it on the loop rather than in a worker thread."""

    async def dependency(request: Request) -> tokens.Claims:
        settings = request.app.state.settings
        return signed_claims(request, settings.secret_key.get_secret_value(), scope)

    return dependency


class Authenticator:
    """Verifies access tokens; fails closed (503) when revocation state cannot be read."""

    def __init__(self, secret: str, store: RevocationStore, lookup: VersionLookup) -> None:
        self.secret = secret
        self.store = store
        self.lookup = lookup

    async def claims(self, request: Request, token: str | None = None) -> tokens.Claims:
        """The verified claims of the request's access token, or of ``token`` (the admin
        portal's session cookie); 401 otherwise."""
        token = token or bearer(request)
        if token is None:
            raise ApiError(401, "Not authenticated")
        try:
            claims = tokens.verify(self.secret, token, "access")
        except tokens.TokenError as exc:
            request.state.auth_failure = str(exc)
            raise ApiError(401, "Invalid or expired token") from exc
        try:
            if await self.store.is_denied(claims.jti):
                raise ApiError(401, "Token has been revoked")
            current = await self.store.token_version(claims.sub)
            if current is None:
                current = await self.lookup(claims.sub)
                await self.store.set_token_version(claims.sub, current)
        except RevocationUnavailable as exc:
            raise ApiError(503, "Authentication is temporarily unavailable") from exc
        if claims.tv < current:
            raise ApiError(401, "Token has been revoked")
        request.state.claims = claims
        return claims

    async def require(
        self, request: Request, *scopes: str, token: str | None = None
    ) -> tokens.Claims:
        """Claims that carry every scope in ``scopes`` (403 otherwise)."""
        claims = await self.claims(request, token)
        missing = [s for s in scopes if s not in claims.scopes]
        if missing:
            raise ApiError(403, "Insufficient scope", details={"required": list(scopes)})
        return claims


#: An internal service's admin route: a validly signed access token carrying ``admin``.
AdminClaims = Annotated[tokens.Claims, Depends(scoped(tokens.ADMIN_SCOPE))]
