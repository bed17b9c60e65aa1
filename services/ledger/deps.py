"""Ledger service dependencies: the resources a request needs, as ``Annotated`` aliases."""

# Identity: the ledger is internal and reached only through the gateway, which verifies every
# bearer fully (signature, claims, deny list, token version) and checks scopes. The ledger does
# not repeat the revocation checks (they need Redis and the auth service); it still verifies the
# token's signature, claims and type itself with ``shared.tokens.verify`` and checks the route's
# scope, so a forged or foreign token never reaches a use case and ``sub`` is trustworthy.

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request

from services.ledger.application import LedgerApplication
from services.ledger.queries import user_defaults
from shared import tokens
from shared.api import invalid
from shared.context_api import ServiceContext
from shared.dates import timezone_of
from shared.identity import scoped

PROJECTION = "ledger_transactions"
READ_SCOPE = "read:transactions"
WRITE_SCOPE = "write:transactions"


@dataclass
class LedgerContext(ServiceContext):
    """Everything the ledger API uses, built once per process in the app's lifespan."""

    application: LedgerApplication

    service = "ledger"
    projection = PROJECTION

    async def defaults(self, claims: tokens.Claims) -> tuple[str | None, str | None]:
        """The caller's currency and timezone, if the ledger knows them."""
        async with self.pool.connection() as conn:
            return await user_defaults(conn, self.schema, claims.sub)


def get_context(request: Request) -> LedgerContext:
    """The process's ledger context."""
    ctx: LedgerContext = request.app.state.ledger
    return ctx


Context = Annotated[LedgerContext, Depends(get_context)]


Reader = Annotated[tokens.Claims, Depends(scoped(READ_SCOPE))]
Writer = Annotated[tokens.Claims, Depends(scoped(WRITE_SCOPE))]


def user_timezone(
    x_user_timezone: Annotated[str | None, Header(max_length=64)] = None,
) -> zoneinfo.ZoneInfo | None:
    """The zone the gateway passed in ``X-User-Timezone`` (422 for an unknown name)."""
    try:
        return timezone_of(x_user_timezone, blank_is_none=True)
    except ValueError as exc:
        raise invalid("X-User-Timezone", str(exc), summary="Unknown timezone") from exc


HeaderZone = Annotated[zoneinfo.ZoneInfo | None, Depends(user_timezone)]


def pick_zone(given: zoneinfo.ZoneInfo | None, profile: str | None) -> dt.tzinfo:
    """The zone for user-local days: the header's, else the profile's, else UTC."""
    if given is not None:
        return given
    try:
        return timezone_of(profile, blank_is_none=True) or dt.UTC
    except ValueError:
        return dt.UTC


async def zone_for(
    ctx: LedgerContext, claims: tokens.Claims, given: zoneinfo.ZoneInfo | None
) -> dt.tzinfo:
    """The caller's zone for user-local days (the profile is read only without a header)."""
    if given is not None:
        return given
    _, profile = await ctx.defaults(claims)
    return pick_zone(None, profile)
