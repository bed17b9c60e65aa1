"""The app's error reports (`POST /api/errors/report`): public — the app sends them with
``Authorization: Bearer null`` — answered raw (202), stored scrubbed by the insights service."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from contracts.reports import ErrorReportIn, ErrorReportOut
from services.gateway.deps import Services
from services.gateway.routing import slash_tolerant

router = APIRouter(prefix="/api", redirect_slashes=False)
route = slash_tolerant(router)


@route("POST", "/errors/report", status_code=202, tags=["ops"], response_model=ErrorReportOut)
async def report(payload: ErrorReportIn, request: Request, up: Services) -> Response:
    """Take in one error report (its personal data is scrubbed before it is stored)."""
    data = payload.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return await up.forward("insights", request, "/errors/report", json=data, params={})
