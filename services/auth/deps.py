"""Auth service dependencies: the resources a request needs, as ``Annotated`` aliases."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from psycopg_pool import AsyncConnectionPool

from services.auth.application import AuthApplication
from services.auth.domain import AccountDeleted
from services.auth.google import GoogleVerifier
from services.auth.mail import Mailer
from services.auth.settings import AuthSettings
from services.auth.throttle import LoginThrottle
from services.auth.tokens import TokenService
from shared import tokens
from shared.identity import Authenticator
from shared.projections import wait_for_position

PROJECTION = "auth_users"
REVOKED_FOREVER = 2**31


@dataclass
class AuthContext:
    """Everything the auth API uses, built once per process in the app's lifespan."""

    settings: AuthSettings
    application: AuthApplication
    tokens: TokenService
    throttle: LoginThrottle
    mailer: Mailer
    google: GoogleVerifier
    pool: AsyncConnectionPool[Any]
    authenticator: Authenticator

    @property
    def schema(self) -> str:
        """The auth schema (event store and read models)."""
        return self.settings.schema_for("auth")

    async def run(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a (blocking) write-model use case off the event loop."""
        return await asyncio.to_thread(fn, *args, **kwargs)

    async def token_version(self, user_id: uuid.UUID) -> int:
        """A user's current token version from the write model (deleted: revoked forever)."""

        def lookup() -> int:
            try:
                return self.application.user(user_id).token_version
            except (KeyError, AccountDeleted):
                return REVOKED_FOREVER

        version: int = await asyncio.to_thread(lookup)
        return version

    async def caught_up(self, position: int, service: str = "auth") -> bool:
        """Read-your-writes: wait (bounded) until the users read model has (service, position)."""
        async with self.pool.connection() as conn:
            return await wait_for_position(
                conn,
                self.schema,
                PROJECTION,
                service,
                position,
                self.settings.read_your_writes_timeout,
            )

    def scopes_for(self, is_admin: bool) -> tuple[str, ...]:
        """User tokens get the user scopes; admins also get ``admin``."""
        return (*tokens.USER_SCOPES, tokens.ADMIN_SCOPE) if is_admin else tokens.USER_SCOPES

    @staticmethod
    def now() -> dt.datetime:
        """The clock (read in the use case layer, passed into decisions)."""
        return dt.datetime.now(dt.UTC)


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
