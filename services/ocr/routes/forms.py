"""Multipart upload forms as the app sends them: files by field name, flags as strings."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.datastructures import FormData, UploadFile

from shared.api import ApiError, invalid

TRUE = frozenset({"true", "1", "yes", "on"})
FALSE = frozenset({"false", "0", "no", "off", ""})
FILE_FIELDS = ("file", "receipt")
BATCH_FIELDS = ("files", "files[]", "file", "receipt")


@dataclass(frozen=True)
class Upload:
    """What an upload form asks for: the image bytes and the reading options."""

    images: list[bytes]
    premium: bool
    auto_record: bool
    options: dict[str, Any]


async def read_form(request: Request, *, max_files: int) -> FormData:
    """Parse a multipart body (400 for a malformed one, 415 for another content type)."""
    kind = request.headers.get("content-type", "")
    if not kind.startswith("multipart/form-data"):
        raise ApiError(
            415,
            "Send the receipt as multipart/form-data with the image in the field 'file'",
            code="unsupported_media_type",
        )
    form: FormData = await request.form(max_files=max_files, max_fields=50, max_part_size=65_536)
    return form


def flag(form: FormData, name: str, default: bool = False) -> bool:
    """A boolean form field ("true"/"false"; 422 for anything else)."""
    value = form.get(name)
    if value is None:
        return default
    if not isinstance(value, str):
        raise invalid(name, f"{name} must be true or false")
    text = value.strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise invalid(name, f"{name} must be true or false")


def options_of(form: FormData) -> dict[str, Any]:
    """The ``options`` field: a JSON object sent as a string (422 otherwise)."""
    raw = form.get("options")
    if raw is None:
        return {}
    if not isinstance(raw, str):
        raise invalid("options", "options must be a JSON object")
    try:
        value = json.loads(raw) if raw.strip() else {}
    except ValueError as exc:
        raise invalid("options", "options must be a JSON object") from exc
    if not isinstance(value, dict):
        raise invalid("options", "options must be a JSON object")
    return value


async def file_bytes(part: object, field: str, limit: int) -> bytes:
    """An uploaded file's bytes, at most ``limit`` of them (413 beyond, 422 for text)."""
    if not isinstance(part, UploadFile):
        raise invalid(field, f"{field} must be an image file, not a text field")
    data = await part.read(limit + 1)
    if len(data) > limit:
        raise ApiError(413, f"The image exceeds {limit // 1_048_576} MB", code="payload_too_large")
    return data


async def upload_of(form: FormData, *, limit: int, batch: bool = False) -> Upload:
    """The images and options of an upload form."""
    parts: list[tuple[str, object]] = []
    for name in BATCH_FIELDS if batch else FILE_FIELDS:
        parts.extend((name, p) for p in form.getlist(name))
        if parts and not batch:
            break
    if not parts:
        fields = "'files'" if batch else "'file'"
        raise invalid(fields.strip("'"), f"Attach the receipt image in the form field {fields}")
    images = [await file_bytes(part, name, limit) for name, part in parts]
    options = options_of(form)
    auto = flag(form, "auto_record", bool(options.get("auto_record") is True))
    return Upload(images, flag(form, "use_premium"), auto, options)
