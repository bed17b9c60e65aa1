"""Insights service dependencies: the resources a request needs, as ``Annotated`` aliases."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from starlette.responses import Response

from services.insights.answers import AnswerCache, answer_key
from services.insights.application import InsightsApplication
from services.insights.llm import Advisor
from services.insights.read.queries import Person, Reads
from shared import tokens
from shared.api import invalid
from shared.categorizer.categorizer import Categorizer
from shared.context_api import ServiceContext
from shared.dates import timezone_of
from shared.identity import scoped

PROJECTION = "insights_moods"
READ_SCOPE = "read:insights"
WRITE_SCOPE = "write:profile"


@dataclass
class InsightsContext(ServiceContext):
    """Everything the insights API uses, built once per process in the app's lifespan."""

    application: InsightsApplication
    categorizer: Categorizer
    advisor: Advisor | None = None
    answers: AnswerCache | None = None

    service = "insights"
    projection = PROJECTION


def get_context(request: Request) -> InsightsContext:
    """The process's insights context."""
    ctx: InsightsContext = request.app.state.insights
    return ctx


Context = Annotated[InsightsContext, Depends(get_context)]
Reader = Annotated[tokens.Claims, Depends(scoped(READ_SCOPE))]
Writer = Annotated[tokens.Claims, Depends(scoped(WRITE_SCOPE))]
Admin = Annotated[tokens.Claims, Depends(scoped(tokens.ADMIN_SCOPE))]


def header_zone(
    x_user_timezone: Annotated[str | None, Header(max_length=64)] = None,
) -> str | None:
    """The zone the gateway passed in ``X-User-Timezone`` (422 for an unknown name)."""
    try:
        timezone_of(x_user_timezone, blank_is_none=True)
    except ValueError as exc:
        raise invalid("X-User-Timezone", str(exc), summary="Unknown timezone") from exc
    return x_user_timezone or None


HeaderZone = Annotated[str | None, Depends(header_zone)]
#: ``?year&month`` of the month-scoped reads (default: the caller's current local month).
AskedYear = Annotated[int | None, Query(ge=2000, le=2200)]
AskedMonth = Annotated[int | None, Query(ge=1, le=12)]


def local_today(person: Person) -> dt.date:
    """Today in the user's zone."""
    return dt.datetime.now(dt.UTC).astimezone(person.zone).date()


@asynccontextmanager
async def viewing(
    ctx: InsightsContext, caller: tokens.Claims, zone: str | None
) -> AsyncIterator[tuple[Reads, Person, dt.date]]:
    """The read models on one connection, the caller as they know them, and their today."""
    async with ctx.pool.connection() as conn:
        reads = Reads(conn, ctx.schema)
        person = await reads.person(caller.sub, zone)
        yield reads, person, local_today(person)


Compute = Callable[[Reads, Person, dt.date], Awaitable[Response]]


async def remembered(
    ctx: InsightsContext,
    caller: tokens.Claims,
    zone: str | None,
    request: Request,
    compute: Compute,
) -> Response:
    """A heavy read's answer: from the cache while the caller's spending has not moved, else
    ``compute``d on the read models (and kept when it is a 200)."""
    async with viewing(ctx, caller, zone) as (reads, person, today):
        if ctx.answers is None:
            return await compute(reads, person, today)
        mark = await reads.spending_mark(caller.sub)
        key = answer_key(
            ctx.answers.prefix, caller.sub, mark, person, today, request.url.path,
            list(request.query_params.multi_items()),
        )  # fmt: skip
        hit = await ctx.answers.get(key)
        if hit is not None:
            return Response(hit, media_type="application/json")
        answer = await compute(reads, person, today)
    if answer.status_code == 200:
        await ctx.answers.put(key, bytes(answer.body))
    return answer


__all__ = [
    "Admin",
    "Context",
    "HeaderZone",
    "InsightsContext",
    "Reader",
    "Reads",
    "Writer",
    "local_today",
]
