"""What every ``/api`` call shares: the tolerant request base and the success envelope,
typed by its ``data`` (for OpenAPI)."""

from __future__ import annotations

import datetime as dt
import types
from typing import Annotated, Any, Generic, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict

T = TypeVar("T")


class Tolerant(BaseModel):
    """App-facing request bodies: fields a route does not take are ignored (the app sends
    extras such as ``timestamp``) and so never applied; wrong types or values of the fields it
    does take are still 422."""

    model_config = ConfigDict(extra="ignore", str_max_length=4096)


def stored_type(annotation: Any) -> type:
    """The Python type of a decided value: request constraints and ``None`` stripped."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            annotation = next(a for a in get_args(annotation) if a is not type(None))
        elif origin is not None:
            return origin  # type: ignore[no-any-return]
        else:
            return annotation  # type: ignore[no-any-return]


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
    #: The OCR engines in use and the Tesseract languages installed (when OCR answers).
    ocr: dict[str, Any] | None = None


def written_day(value: Any) -> Any:
    """A body's day: ``YYYY-MM-DD`` or an ISO datetime, taken as the date written in it (the
    app sends local times without an offset); for ``BeforeValidator``."""
    if value is None or isinstance(value, dt.date):
        return value.date() if isinstance(value, dt.datetime) else value
    text = str(value).strip()
    try:
        return (
            dt.date.fromisoformat(text)
            if len(text) == 10
            else dt.datetime.fromisoformat(text).date()
        )
    except ValueError:
        raise ValueError("must be YYYY-MM-DD or an ISO-8601 datetime") from None
