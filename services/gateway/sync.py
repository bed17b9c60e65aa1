"""Read-your-writes across services: after a write, wait for another service's read model.

A service's write answer names the store position it reached (``x-mita-position``); the
gateway asks the service whose read model must reflect the write to wait for that position
(bounded there by ``read_your_writes_timeout``). The write has happened whatever the answer:
when the other service cannot answer, the caller still gets the write's answer and the read
models catch up later.
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from typing import Any

import httpx
from starlette.requests import Request

from services.gateway.upstream import Upstream
from shared.api import POSITION_HEADER, ApiError

log = logging.getLogger(__name__)


def position_of(answer: httpx.Response) -> int:
    """The store position a write's answer names (0: none, e.g. an idempotent replay)."""
    try:
        return max(0, int(answer.headers.get(POSITION_HEADER, "0")))
    except ValueError:
        return 0


async def caught_up_with(
    up: Upstream, request: Request, target: str, path: str, answer: httpx.Response, **params: Any
) -> dict[str, Any] | None:
    """Ask ``target`` to wait for the write behind ``answer``; its ``data`` (None: no answer)."""
    query: dict[str, str | int] = {"position": position_of(answer)}
    query.update({k: str(v) for k, v in params.items() if v is not None})
    try:
        reply = await up.call(target, "GET", path, request=request, params=query)
    except ApiError as exc:
        log.warning("%s could not wait for a write: %s", target, exc)
        return None
    if reply.status_code != 200:
        log.warning("%s answered %s when asked to wait for a write", target, reply.status_code)
        return None
    data: dict[str, Any] = json.loads(reply.content, parse_float=Decimal)["data"]
    if not data.get("caught_up"):
        log.info("%s read models still catching up with %s", target, query)
    return data
