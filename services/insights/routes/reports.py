"""Error reports from the app (internal; public through the gateway: the app sends them with
``Bearer null``). Raw answer, 202."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from contracts.reports import ErrorReportIn
from services.insights.deps import Context
from shared.api import JSONResponse, positioned

router = APIRouter()


@router.post("/errors/report", status_code=202)
async def report(body: ErrorReportIn, ctx: Context) -> Response:
    """Store the report with its personal data scrubbed (docs/error-reports.md)."""
    fields = body.model_dump()
    report_id, position = await ctx.run(
        lambda: ctx.application.record_error_report(ctx.now(), **fields)
    )
    return JSONResponse(
        {"status": "received", "report_id": str(report_id)}, status_code=202,
        headers=positioned(position),
    )  # fmt: skip
