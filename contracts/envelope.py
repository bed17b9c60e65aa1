"""The success envelope every ``/api`` answer wears, typed by its ``data`` (for OpenAPI)."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T")


class Envelope(BaseModel, Generic[T]):
    """``{success, message, data, timestamp, request_id, meta?}``: the app reads ``data``."""

    success: bool
    message: str
    data: T
    timestamp: str
    request_id: str
    meta: dict[str, Any] | None = None


class ServiceRoot(BaseModel):
    """``GET /``: what this is and where its docs are."""

    name: str
    version: str
    docs: str
    health: str


class Health(BaseModel):
    """``GET /health``: each dependency's state (200 when all answer, else 503)."""

    status: str
    database: str
    redis: str
    kafka: str
    services: dict[str, str]
    config: dict[str, str]
    commit: str
