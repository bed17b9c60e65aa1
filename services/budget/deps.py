"""Budget service dependencies: the context and the caller (token verified, scope checked).

Like the ledger, the budget service is internal: the gateway enforces revocation and scopes;
here the bearer's signature, claims and type are verified again so ``sub`` is trustworthy.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request

from services.budget.application import BudgetApplication
from services.budget.read.placement import zone
from services.budget.read.queries import user_timezone
from shared import tokens
from shared.context_api import ServiceContext
from shared.identity import scoped

PROJECTION = "budget_days"
READ_SCOPE = "read:budget"
MANAGE_SCOPE = "manage:budget"


@dataclass
class BudgetContext(ServiceContext):
    """Everything the budget API uses, built once per process in the app's lifespan."""

    application: BudgetApplication

    service = "budget"
    projection = PROJECTION

    async def zone_name(self, user: uuid.UUID) -> str:
        """The user's timezone name: profile or onboarding, the latest (UTC if unknown)."""
        async with self.pool.connection() as conn:
            return await user_timezone(conn, self.schema, user) or "UTC"

    async def zone_of(self, user: uuid.UUID) -> dt.tzinfo:
        """The user's timezone (UTC if unknown)."""
        return zone(await self.zone_name(user))

    async def today(self, user: uuid.UUID) -> dt.date:
        """Today in the user's timezone."""
        return self.now().astimezone(await self.zone_of(user)).date()


def get_context(request: Request) -> BudgetContext:
    """The process's budget context."""
    ctx: BudgetContext = request.app.state.budget
    return ctx


Context = Annotated[BudgetContext, Depends(get_context)]


Reader = Annotated[tokens.Claims, Depends(scoped(READ_SCOPE))]
Manager = Annotated[tokens.Claims, Depends(scoped(MANAGE_SCOPE))]


@dataclass(frozen=True)
class AskedMonth:
    """The month a call names with ``?year&month`` (default: the caller's current one)."""

    today: dt.date
    year: int
    month: int


async def asked_month(
    caller: Reader,
    ctx: Context,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    month: Annotated[int | None, Query(ge=1, le=12)] = None,
) -> AskedMonth:
    """``?year&month``, each defaulting to the caller's current local month."""
    today = await ctx.today(caller.sub)
    return AskedMonth(today, year or today.year, month or today.month)


MonthAsked = Annotated[AskedMonth, Depends(asked_month)]
