"""Auth service dependencies: the resources a request needs, as ``Annotated`` aliases."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from services.auth.application import AuthApplication
from services.auth.google import GoogleVerifier
from services.auth.mail import Mailer
from services.auth.premium.verifier import Verifier
from services.auth.rules import AccountDeleted
from services.auth.settings import AuthSettings
from services.auth.throttle import LoginThrottle
from services.auth.tokens import TokenService
from shared import tokens
from shared.context_api import ServiceContext
from shared.identity import Authenticator

PROJECTION = "auth_users"
REVOKED_FOREVER = 2**31


@dataclass
class AuthContext(ServiceContext):
    """Everything the auth API uses, built once per process in the app's lifespan."""

    settings: AuthSettings
    application: AuthApplication
    tokens: TokenService
    throttle: LoginThrottle
    mailer: Mailer
    google: GoogleVerifier
    authenticator: Authenticator
    verifier: Verifier

    service = "auth"
    projection = PROJECTION

    async def token_version(self, user_id: uuid.UUID) -> int:
        """A user's current token version from the write model (deleted: revoked forever)."""

        def lookup() -> int:
            try:
                return self.application.user(user_id).token_version
            except (KeyError, AccountDeleted):
                return REVOKED_FOREVER

        version: int = await asyncio.to_thread(lookup)
        return version

    def scopes_for(self, is_admin: bool) -> tuple[str, ...]:
        """User tokens get the user scopes; admins also get ``admin``."""
        return (*tokens.USER_SCOPES, tokens.ADMIN_SCOPE) if is_admin else tokens.USER_SCOPES


def get_context(request: Request) -> AuthContext:
    """The process's auth context."""
    ctx: AuthContext = request.app.state.auth
    return ctx


Context = Annotated[AuthContext, Depends(get_context)]


async def current_claims(request: Request, ctx: Context) -> tokens.Claims:
    """The caller's verified access-token claims."""
    return await ctx.authenticator.claims(request)


Caller = Annotated[tokens.Claims, Depends(current_claims)]


def client_ip(request: Request) -> str | None:
    """The end user's IP as the gateway reports it (else the peer address)."""
    forwarded = request.headers.get("x-client-ip")
    if forwarded:
        return forwarded
    return request.client.host if request.client else None
