"""The published OpenAPI document: our error envelope and the bearer scheme, as answered."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel, TypeAdapter
from starlette.routing import BaseRoute

from services.gateway.deps import TOKEN_MARKER

ENVELOPE_REF = "#/components/schemas/ErrorEnvelope"


class ValidationErrorItem(BaseModel):
    """One invalid field."""

    field: str
    message: str
    type: str


class ErrorDetails(BaseModel):
    """Extra facts of an error (``validation_errors`` on 422)."""

    validation_errors: list[ValidationErrorItem] | None = None


class ErrorInfo(BaseModel):
    """The machine-readable part of an error."""

    code: str
    message: str
    error_id: str
    timestamp: str
    details: ErrorDetails


class ErrorEnvelope(BaseModel):
    """Every non-2xx answer."""

    success: bool
    detail: str
    error: ErrorInfo


def _needs_token(dependant: Dependant) -> bool:
    """Whether a route (or any of its dependencies) requires a bearer token (the marker that
    ``gateway.deps.require`` sets on its dependency)."""
    if hasattr(dependant.call, TOKEN_MARKER):
        return True
    return any(_needs_token(d) for d in dependant.dependencies)


def api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    """Every API route, including those of included routers (FastAPI may keep them nested)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
            continue
        nested = getattr(route, "original_router", None)
        if nested is not None:
            yield from api_routes(nested.routes)


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": ENVELOPE_REF}}},
    }


def install_openapi(app: FastAPI) -> None:
    """Replace FastAPI's default 422 schema by our envelope and mark token-protected routes."""

    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        components = schema.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        envelope = TypeAdapter(ErrorEnvelope).json_schema(
            ref_template="#/components/schemas/{model}"
        )
        schemas.update(envelope.pop("$defs", {}))
        schemas["ErrorEnvelope"] = envelope
        components["securitySchemes"] = {
            "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
        }
        protected = {
            (route.path_format, method.lower())
            for route in api_routes(app.routes)
            if _needs_token(route.dependant)
            for method in route.methods or ()
        }
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                if "422" in responses:
                    responses["422"] = _error("Validation error")
                if (path, method) in protected:
                    operation["security"] = [{"bearerAuth": []}]
                    responses.setdefault("401", _error("Missing, invalid or revoked token"))
                    responses.setdefault("403", _error("Token lacks a required scope"))
        app.openapi_schema = schema
        return schema

    app.openapi = build  # type: ignore[method-assign]
