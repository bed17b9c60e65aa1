"""Error reports from the app (no I/O): personal data scrubbed before anything is stored.

Scrubbed in every text and every nested value (docs/error-reports.md): e-mail addresses,
bearer and JSON web tokens, UUIDs, IPv4 addresses, IBANs, and runs of 7 or more digits
(card, phone and account numbers, allowing spaces and dashes); values under keys that name a
secret or a person (password, token, secret, authorization, email, name, phone, address …)
are replaced whole. Texts are cut to their bounds; the client's ``userId`` is not kept.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from typing import TYPE_CHECKING, Any, Final

from eventsourcing.domain import Aggregate

from contracts.reports import MAX_STACK, MAX_TEXT
from shared.envelope import registry

PATTERNS: Final = (
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), "[email]"),
    (re.compile(r"(?i)bearer\s+[\w.~+/-]+=*"), "Bearer [token]"),
    (re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+"), "[token]"),
    (re.compile(r"(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "[id]"),
    (re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b"), "[ip]"),
    (re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]){10,30}\b"), "[iban]"),
    (re.compile(r"\+?\d(?:[\s-]?\d){6,}"), "[number]"),
)
PRIVATE_KEYS: Final = re.compile(
    r"(?i)(pass|token|secret|auth|cookie|session|email|e_mail|name|phone|address|card|iban|"
    r"ssn|birth|location|lat|lon)"
)
MAX_CONTEXT: Final = 8000
#: A report's facts, declared once: the event carries them and its ``apply`` assigns them.
REPORT_FIELDS: dict[str, Any] = {
    "client_id": str | None, "client_timestamp": str | None, "error": str,
    "stack_trace": str | None, "severity": str, "category": str, "context": Any,
    "app_version": str | None, "platform": str | None, "device": Any, "connected": bool | None,
    "received_at": dt.datetime,
}  # fmt: skip
MAX_DEPTH: Final = 6


def scrub_text(text: str, limit: int = MAX_TEXT) -> str:
    """The text with personal data replaced, cut to ``limit`` characters."""
    for pattern, mark in PATTERNS:
        text = pattern.sub(mark, text)
    return text[:limit]


def scrub(value: Any, depth: int = 0) -> Any:
    """A JSON value with every text scrubbed and private keys' values replaced."""
    if depth > MAX_DEPTH:
        return "[nested]"
    if isinstance(value, str):
        return scrub_text(value, 500)
    if isinstance(value, dict):
        return {
            scrub_text(str(k), 100): "[redacted]" if PRIVATE_KEYS.search(str(k))
            else scrub(v, depth + 1)
            for k, v in list(value.items())[:100]
        }  # fmt: skip
    if isinstance(value, list):
        return [scrub(v, depth + 1) for v in value[:100]]
    if value is None or isinstance(value, bool | int | float):
        return value
    return scrub_text(str(value), 500)


def bounded(value: Any) -> Any:
    """A scrubbed value, or a note when its JSON is too large to keep."""
    clean = scrub(value)
    return clean if len(json.dumps(clean, default=str)) <= MAX_CONTEXT else "[too large]"


class ErrorReport(Aggregate):
    """One error report from the app, scrubbed."""

    class Received(Aggregate.Created):
        """What was reported (already scrubbed) and when it arrived."""

        __annotations__ = dict(REPORT_FIELDS)
        if TYPE_CHECKING:

            def __getattr__(self, name: str) -> Any: ...

        def apply(self, aggregate: Aggregate) -> None:
            """Assign what was reported."""
            for name in REPORT_FIELDS:
                setattr(aggregate, name, getattr(self, name))

    if TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any: ...

    @classmethod
    def receive(cls, *, at: dt.datetime, **report: Any) -> ErrorReport:
        """Decide a stored report from what the app sent (scrubbed, bounded)."""
        stack = report.get("stack_trace")
        return cls._create(
            cls.Received,
            id=uuid.uuid4(),
            client_id=scrub_text(report["id"], 200) if report.get("id") else None,
            client_timestamp=report.get("timestamp"),
            error=scrub_text(report.get("error") or ""),
            stack_trace=scrub_text(stack, MAX_STACK) if stack else None,
            severity=scrub_text(report.get("severity") or "unknown", 40),
            category=scrub_text(report.get("category") or "unknown", 60),
            context=bounded(report.get("context") or {}),
            app_version=report.get("app_version"),
            platform=report.get("platform"),
            device=bounded(report.get("device_info")),
            connected=report.get("is_connected"),
            received_at=at,
        )


registry.register("insights", ErrorReport.Received, "insights.ErrorReportReceived")
