"""Operators' routes (`/api/admin/*`, admin scope): event streams, exports, scratch replays,
projections and rebuilds, dead letters (the ops service), and a user's state as of an
instant (budget and ledger, each folding its own log)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import uuid
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from contracts import ops
from contracts.auth import AccountState, LockRequest
from contracts.envelope import Envelope as E
from services.gateway.audit import audit
from services.gateway.deps import Admin, Services
from services.gateway.routes_dashboard import failed
from services.gateway.routing import body, slash_tolerant
from shared.api import ok
from shared.dates import DayOrInstant, as_text
from shared.tokens import Claims

router = APIRouter(prefix="/api", redirect_slashes=False)
route = slash_tolerant(router)
TAGS = ["admin"]
#: Exports, replays and time travel read whole streams: they may take a while.
LONG = 300.0
Name = Annotated[str, Path(max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]


@route("GET", "/admin/users/{user_id}/budget", tags=TAGS, response_model=E[ops.UserAsOf])
async def user_as_of(
    _: Admin,
    request: Request,
    up: Services,
    user_id: uuid.UUID,
    as_of: Annotated[
        DayOrInstant | None,
        Query(description="An instant, or a day (its end in the user's zone); default: now"),
    ] = None,
    year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
    month: Annotated[int | None, Query(ge=1, le=12)] = None,
) -> Response:
    """A user's calendar, balances and transactions as they stood at ``as_of``."""
    path = f"/admin/users/{user_id}/as-of"
    params: dict[str, Any] = {"as_of": as_text(as_of or dt.datetime.now(dt.UTC))}
    shown = {k: v for k, v in (("year", year), ("month", month)) if v is not None}
    budget, ledger = await asyncio.gather(
        up.call("budget", "GET", path, request=request, params=params | shown, timeout=LONG),
        up.call("ledger", "GET", path, request=request, params=params, timeout=LONG),
    )
    if budget.status_code != 200:
        return failed("budget", budget)
    if ledger.status_code != 200:
        return failed("ledger", ledger)
    plan: dict[str, Any] = json.loads(budget.content, parse_float=Decimal)["data"]
    book: dict[str, Any] = json.loads(ledger.content, parse_float=Decimal)["data"]
    return ok({"user_id": str(user_id), "as_of": plan["as_of"], "budget": plan, "ledger": book})


def acted(request: Request, admin: Claims, action: str, answer: Response, **target: Any) -> None:
    """Put an admin action on the audit log (who, what, on what, how it went)."""
    audit(
        "admin.action", request, level=logging.INFO, admin=str(admin.sub), action=action,
        status=answer.status_code, **{k: str(v) for k, v in target.items()},
    )  # fmt: skip


async def account_action(
    action: str,
    user_id: uuid.UUID,
    admin: Claims,
    request: Request,
    up: Services,
    payload: LockRequest | None = None,
) -> Response:
    """Relay an account action to auth and put it on the audit log."""
    json_body = body(payload) if payload is not None else None
    answer = await up.forward("auth", request, f"/admin/users/{user_id}/{action}", json=json_body)
    acted(request, admin, action, answer, user=user_id)
    return answer


@route("POST", "/admin/users/{user_id}/lock", tags=TAGS, response_model=E[AccountState])
async def lock(
    user_id: uuid.UUID, payload: LockRequest, admin: Admin, request: Request, up: Services
) -> Response:
    """Lock an account: no sign-in and every token dead until unlocked (an event naming the
    admin and the reason)."""
    return await account_action("lock", user_id, admin, request, up, payload)


@route("POST", "/admin/users/{user_id}/unlock", tags=TAGS, response_model=E[AccountState])
async def unlock(user_id: uuid.UUID, admin: Admin, request: Request, up: Services) -> Response:
    """Unlock an account."""
    return await account_action("unlock", user_id, admin, request, up)


@route("POST", "/admin/users/{user_id}/revoke-tokens", tags=TAGS, response_model=E[AccountState])
async def revoke_tokens(
    user_id: uuid.UUID, admin: Admin, request: Request, up: Services
) -> Response:
    """Kill every token of an account (it signs in again)."""
    return await account_action("revoke-tokens", user_id, admin, request, up)


@route("GET", "/admin/events/streams", tags=TAGS, response_model=E[list[ops.StreamInfo]])
async def streams(_: Admin, request: Request, up: Services) -> Response:
    """Each service's stream: store count, head, counts by type, topic."""
    return await up.forward("ops", request)


@route("GET", "/admin/events/tail", tags=TAGS, response_model=E[list[ops.EventView]])
async def tail(
    _: Admin,
    request: Request,
    up: Services,
    service: Annotated[str, Query(max_length=40, description="a service, or all")] = "all",
    last: Annotated[int, Query(ge=1, le=10_000)] = 20,
) -> Response:
    """The last events a service's topic (or every topic) holds."""
    return await up.forward("ops", request, params={"service": service, "last": last})


@route(
    "GET",
    "/admin/events/export",
    tags=TAGS,
    response_class=Response,
    responses={
        200: {"content": {"application/x-ndjson": {}, "application/vnd.apache.parquet": {}}}
    },
)
async def export(
    _: Admin,
    request: Request,
    up: Services,
    service: Annotated[str, Query(max_length=40)] = "all",
    format: ops.ExportFormat = "jsonl",
    type: Annotated[list[str] | None, Query(max_length=100)] = None,
    user_id: uuid.UUID | None = None,
    since: Annotated[DayOrInstant | None, Query()] = None,
    until: Annotated[DayOrInstant | None, Query()] = None,
    after_position: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
    upto_position: Annotated[int | None, Query(ge=0, le=2**63 - 1)] = None,
) -> Response:
    """Events of one service or all as a JSONL or Parquet file (filters: type, user, time
    range, position range); ``x-mita-event-count`` says how many."""
    params: dict[str, Any] = {
        "service": service,
        "format": format,
        "after_position": after_position,
    }
    optional = {"type": type, "user_id": user_id, "upto_position": upto_position}
    params |= {k: v for k, v in optional.items() if v is not None}
    params |= {k: as_text(v) for k, v in (("since", since), ("until", until)) if v is not None}
    answer = await up.call(
        "ops", "GET", "/admin/events/export", request=request, params=params, timeout=LONG
    )
    return up.relay("ops", answer)


@route("POST", "/admin/events/replay", tags=TAGS, response_model=E[ops.ReplayResult])
async def replay(
    payload: ops.ReplayRequest, admin: Admin, request: Request, up: Services
) -> Response:
    """Fold a range of events into a named scratch projection (production is not touched)."""
    answer = await up.call(
        "ops", "POST", "/admin/events/replay", request=request, json=body(payload), timeout=LONG
    )
    relayed = up.relay("ops", answer)
    acted(request, admin, "replay", relayed, projection=payload.projection, name=payload.name)
    return relayed


@route("DELETE", "/admin/events/replay/{name}", tags=TAGS, response_model=E[dict[str, Any]])
async def drop_replay(name: Name, admin: Admin, request: Request, up: Services) -> Response:
    """Drop a scratch projection."""
    answer = await up.forward("ops", request)
    acted(request, admin, "drop-scratch", answer, name=name)
    return answer


@route("GET", "/admin/projections", tags=TAGS, response_model=E[list[ops.ProjectionLag]])
async def projections(_: Admin, request: Request, up: Services) -> Response:
    """Every consumer's lag per source, in events and seconds, with its dead letters."""
    return await up.forward("ops", request)


@route(
    "POST",
    "/admin/projections/{name}/rebuild",
    tags=TAGS,
    status_code=202,
    response_model=E[ops.RebuildJob],
)
async def rebuild(name: Name, admin: Admin, request: Request, up: Services) -> Response:
    """Start a blue/green rebuild (the live read model serves until the swap)."""
    answer = await up.forward("ops", request)
    acted(request, admin, "rebuild", answer, projection=name)
    return answer


@route("GET", "/admin/projections/{name}/rebuild", tags=TAGS, response_model=E[ops.RebuildJob])
async def rebuild_status(name: Name, _: Admin, request: Request, up: Services) -> Response:
    """The progress of a projection's last rebuild."""
    return await up.forward("ops", request)


@route("GET", "/admin/dead-letters", tags=TAGS, response_model=E[list[ops.DeadLetterView]])
async def dead_letters(
    _: Admin,
    request: Request,
    up: Services,
    projection: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """Dead letters not re-driven yet."""
    params = {"projection": projection} if projection else {}
    return await up.forward("ops", request, params=params)


@route(
    "POST",
    "/admin/dead-letters/{projection}/{service}/{position}/redrive",
    tags=TAGS,
    response_model=E[ops.Redriven],
)
async def redrive(
    projection: Name,
    service: Name,
    position: Annotated[int, Path(ge=1, le=2**63 - 1)],
    admin: Admin,
    request: Request,
    up: Services,
) -> Response:
    """Apply a dead letter again from its store."""
    answer = await up.forward("ops", request)
    acted(request, admin, "redrive", answer, projection=projection, at=f"{service}@{position}")
    return answer
