"""Audit log of security events: one JSON record per event on logger ``mita.audit``."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from starlette.requests import HTTPConnection
from starlette.types import Scope

from shared.api import now_iso
from shared.observability import request_id_var

AUDIT_LOGGER = "mita.audit"
# Keys whose values are never written, at any depth (case-insensitive substring match).
SENSITIVE_MARKERS: tuple[str, ...] = ("password", "token", "secret", "authorization", "cookie")
MAX_STRING = 512
MAX_DEPTH = 5

EVENTS: frozenset[str] = frozenset(
    {
        "auth.login_failed",
        "auth.token_rejected",
        "ratelimit.exceeded",
        "ratelimit.unavailable",
        "body.too_large",
        "authz.forbidden",
        "admin.action",
    }
)

log = logging.getLogger(AUDIT_LOGGER)


def is_sensitive(key: str) -> bool:
    """Whether a field name may carry a secret."""
    lowered = key.lower()
    return any(marker in lowered for marker in SENSITIVE_MARKERS)


def redact(value: Any, depth: int = 0) -> Any:
    """A JSON-able copy of ``value`` without sensitive keys; long strings are truncated."""
    if depth > MAX_DEPTH:
        return "..."
    if isinstance(value, Mapping):
        return {str(k): redact(v, depth + 1) for k, v in value.items() if not is_sensitive(str(k))}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact(v, depth + 1) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= MAX_STRING else text[:MAX_STRING] + "..."


def _scope_of(request_or_scope: HTTPConnection | Scope | None) -> Scope | None:
    """The ASGI scope behind a request, or the scope itself."""
    if request_or_scope is None:
        return None
    if isinstance(request_or_scope, HTTPConnection):
        return request_or_scope.scope
    return request_or_scope


def audit(
    event: str,
    request_or_scope: HTTPConnection | Scope | None = None,
    /,
    *,
    level: int = logging.WARNING,
    **fields: Any,
) -> dict[str, Any]:
    """Log one security event with request context and redacted fields; return the record."""
    record: dict[str, Any] = {"event": event, "ts": now_iso()}
    rid = request_id_var.get()
    if rid:
        record["request_id"] = rid
    scope = _scope_of(request_or_scope)
    if scope is not None:
        record["method"] = scope.get("method")
        record["path"] = scope.get("path")
        client = scope.get("client")
        if client:
            record["peer"] = client[0]
    extra = redact(fields)
    for key, value in extra.items():
        record.setdefault(key, value)
    record = redact(record)
    log.log(level, json.dumps(record, default=str, sort_keys=True), extra={"audit": record})
    return record
