"""The public response envelope, API errors and their handlers (never a traceback)."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from shared import jsonutil
from shared.observability import request_id_var

log = logging.getLogger(__name__)

STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}


class JSONResponse(Response):
    """JSON response that writes Decimals as exact numbers."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        """Serialise the content."""
        return jsonutil.dumps(content)


def now_iso() -> str:
    """Current UTC time, ISO-8601 with offset."""
    return dt.datetime.now(dt.UTC).isoformat()


def envelope(data: Any, message: str = "OK", meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """The success envelope the mobile app reads ``data`` from."""
    body: dict[str, Any] = {
        "success": True,
        "message": message,
        "data": data,
        "timestamp": now_iso(),
        "request_id": request_id_var.get() or uuid.uuid4().hex,
    }
    if meta:
        body["meta"] = meta
    return body


# An internal service's write answers with the store position it reached (the gateway waits
# on it for other services' read models; it never leaves the gateway).
POSITION_HEADER = "x-mita-position"


def positioned(position: int) -> dict[str, str]:
    """Headers naming the store position a write reached."""
    return {POSITION_HEADER: str(position)}


def ok(
    data: Any,
    *,
    status: int = 200,
    message: str = "OK",
    meta: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A success response in the envelope."""
    return JSONResponse(envelope(data, message, meta), status_code=status, headers=headers)


class ApiError(Exception):
    """An error answered with the standard error envelope."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or STATUS_CODES.get(status, "error")
        self.details = details or {}
        self.headers = dict(headers or {})
        if status == 401:
            self.headers.setdefault("WWW-Authenticate", "Bearer")


def invalid(field: str, message: str, *, summary: str | None = None) -> ApiError:
    """A 422 naming one field, as the app reads validation errors (``summary``: the headline)."""
    return ApiError(
        422,
        summary or message,
        details={
            "validation_errors": [{"field": field, "message": message, "type": "value_error"}]
        },
    )


def error_body(
    status: int, message: str, code: str | None = None, details: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The error envelope."""
    return {
        "success": False,
        "detail": message,
        "error": {
            "code": code or STATUS_CODES.get(status, "error"),
            "message": message,
            "error_id": uuid.uuid4().hex,
            "timestamp": now_iso(),
            "details": details or {},
        },
    }


def error_response(error: ApiError) -> JSONResponse:
    """Render an ApiError."""
    return JSONResponse(
        error_body(error.status, error.message, error.code, error.details),
        status_code=error.status,
        headers=error.headers,
    )


def validation_details(errors: list[Any]) -> dict[str, Any]:
    """``details.validation_errors`` as the app reads them: [{field, message, type}]."""
    out = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ())]
        if loc and loc[0] in ("body", "query", "path", "header", "cookie"):
            loc = loc[1:]  # only the leading element names where the field was
        out.append(
            {
                "field": ".".join(loc) or "body",
                "message": str(err.get("msg", "invalid value")),
                "type": str(err.get("type", "value_error")),
            }
        )
    return {"validation_errors": out}


def install_error_handlers(app: FastAPI) -> None:
    """Map every failure to the error envelope; unknown exceptions become a plain 500."""

    async def api_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return error_response(exc)

    async def validation_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = list(exc.errors())
        if any(e.get("type") == "json_invalid" for e in errors):
            return error_response(ApiError(400, "Malformed JSON body", code="malformed_json"))
        return error_response(
            ApiError(422, "Validation failed", details=validation_details(errors))
        )

    async def http_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        message = exc.detail if isinstance(exc.detail, str) else "Request failed"
        if exc.status_code == 404 and message == "Not Found":
            message = "Not found"
        headers = dict(exc.headers) if exc.headers else None
        return error_response(ApiError(exc.status_code, message, headers=headers))

    async def unexpected(_request: Request, exc: Exception) -> Response:
        log.exception("unhandled error", exc_info=exc)
        return error_response(ApiError(500, "Internal server error"))

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
