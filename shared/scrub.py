"""Personal data kept out of Sentry: emails, tokens, amounts and merchant text, wherever an
event carries them (message, exception values, breadcrumbs, request data, extra, local vars).

Values under known personal or secret keys are replaced whole. Free text loses its emails,
bearer and JWT tokens, amounts and quoted strings: merchant names reach log messages quoted.
"""

from __future__ import annotations

import re
from typing import Any

FILTERED = "[Filtered]"
#: Keys whose values are never sent (case-insensitive): secrets wherever the word appears in a
#: key, personal values by exact key.
SECRET_KEYS = (
    "password", "secret", "token", "authorization", "cookie", "api_key", "apikey", "session",
    "csrf", "dsn", "key",
)  # fmt: skip
PERSONAL_KEYS = (
    "email", "merchant", "description", "notes", "location", "name", "amount", "income",
    "balance", "total", "price", "spent", "budget", "limit", "value", "phone", "address",
    "body", "data", "params", "args",
)  # fmt: skip
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
JWT = re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+")
BEARER = re.compile(r"(?i)\b(bearer|token|basic)\s+[\w.~+/=-]{8,}")
AMOUNT = re.compile(r"(?<![\w.])[-+]?[$€£¥]?\d{1,3}(?:[,\s]\d{3})*(?:\.\d+)?(?![\w.])|\d+\.\d+")
QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def scrub_text(text: str) -> str:
    """Free text with emails, tokens, amounts and quoted strings replaced."""
    text = JWT.sub("[token]", text)
    text = BEARER.sub(r"\1 [token]", text)
    text = EMAIL.sub("[email]", text)
    text = QUOTED.sub("'[text]'", text)
    return AMOUNT.sub("[amount]", text)


def _sensitive(key: str) -> bool:
    lowered = key.lower()
    return lowered in PERSONAL_KEYS or any(k in lowered for k in SECRET_KEYS)


def scrub(value: Any, key: str = "") -> Any:
    """A copy of ``value`` with sensitive keys filtered and strings scrubbed."""
    if key and _sensitive(key) and value not in (None, "", [], {}):
        return FILTERED
    if isinstance(value, dict):
        return {k: scrub(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return FILTERED  # a bare number in an event is as likely an amount as anything
    return value


#: Event fields that describe the program, not the person: kept as they are.
KEPT = (
    "level", "logger", "platform", "timestamp", "event_id", "release", "environment",
    "server_name", "sdk", "modules", "contexts", "type", "transaction_info", "fingerprint",
)  # fmt: skip


def before_send(event: dict[str, Any], _hint: dict[str, Any]) -> dict[str, Any]:
    """Scrub an error or message event before it leaves the process."""
    out: dict[str, Any] = {}
    for field, value in event.items():
        if field in KEPT:
            out[field] = value
        elif field == "exception":
            out[field] = _exceptions(value)
        elif field == "request":
            out[field] = _request(value)
        elif field == "logentry" and isinstance(value, dict):
            # The values a log call interpolated may be anything personal, quoted or not.
            out[field] = {
                **scrub(value),
                "params": [FILTERED for _ in value.get("params") or ()],
            }
        elif field == "breadcrumbs" and isinstance(value, dict):
            crumbs = [before_breadcrumb(c, {}) for c in value.get("values") or ()]
            out[field] = {**value, "values": crumbs}
        elif field == "user":
            out[field] = {k: v for k, v in (value or {}).items() if k == "id"}
        else:
            out[field] = scrub(value)
    return out


def before_breadcrumb(crumb: dict[str, Any], _hint: dict[str, Any]) -> dict[str, Any]:
    """Scrub a breadcrumb (log lines and HTTP calls leading up to an event)."""
    return {k: (v if k in ("type", "category", "level", "timestamp") else scrub(v, k))
            for k, v in crumb.items()}  # fmt: skip


def _exceptions(value: dict[str, Any]) -> dict[str, Any]:
    values = []
    for exc in value.get("values", []):
        kept = dict(exc)
        if isinstance(kept.get("value"), str):
            kept["value"] = scrub_text(kept["value"])
        trace = kept.get("stacktrace")
        if isinstance(trace, dict):
            frames = [
                {**f, "vars": scrub(f["vars"])} if "vars" in f else f
                for f in trace.get("frames", [])
            ]
            kept["stacktrace"] = {**trace, "frames": frames}
        values.append(kept)
    return {**value, "values": values}


def _request(value: dict[str, Any]) -> dict[str, Any]:
    request = dict(value)
    if "data" in request:
        request["data"] = FILTERED
    if "cookies" in request:
        request["cookies"] = FILTERED
    if isinstance(request.get("headers"), dict):
        request["headers"] = {
            k: FILTERED if _sensitive(k) else v for k, v in request["headers"].items()
        }
    if isinstance(request.get("query_string"), str):
        request["query_string"] = scrub_text(request["query_string"])
    if isinstance(request.get("url"), str):
        request["url"] = scrub_text(request["url"])
    return request
