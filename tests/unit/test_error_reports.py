"""Error reports: what the scrubbing replaces, and what it keeps."""

from __future__ import annotations

import datetime as dt

import pytest

from services.insights.reports import ErrorReport, bounded, scrub, scrub_text


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("user jane.doe+x@mail.co.uk failed", "user [email] failed"),
        ("Authorization: Bearer abc.DEF-123", "Authorization: Bearer [token]"),
        ("jwt eyJhbGci.eyJzdWIi.c2ln here", "jwt [token] here"),
        ("user 9b2c1a2e-1111-2222-3333-444455556666 gone", "user [id] gone"),
        ("from 192.168.1.20", "from [ip]"),
        ("IBAN BG80BNBG96611020345678", "IBAN [iban]"),
        ("card 4111-1111-1111-1111 / +359 888 123 456", "card [number] / [number]"),
        ("line 88 of api_service.dart, 2026", "line 88 of api_service.dart, 2026"),
    ],
)
def test_scrub_text(text: str, kept: str) -> None:
    assert scrub_text(text) == kept


def test_scrub_values() -> None:
    deep = {"a": {"b": {"c": {"d": {"e": {"f": {"g": 1}}}}}}}
    found = scrub({"Email": "a@b.c", "screen": "home", "deviceName": "Ann", "n": [1, "x@y.z"],
                   "ok": True, "depth": deep})  # fmt: skip
    assert found["Email"] == found["deviceName"] == "[redacted]"
    assert found["screen"] == "home"
    assert found["n"] == [1, "[email]"]
    assert found["ok"] is True
    assert "[nested]" in str(found["depth"])
    assert bounded({"k": "v" * 400}) == {"k": "v" * 400}
    assert bounded({str(i): "v" * 400 for i in range(50)}) == "[too large]"


def test_a_report_is_cut_not_refused() -> None:
    found = ErrorReport.receive(at=dt.datetime.now(dt.UTC), error="e" * 9000,
                                stack_trace="s" * 50_000, context=None)  # fmt: skip
    assert len(found.error) == 4000
    assert len(found.stack_trace) == 20000
    assert (found.severity, found.category, found.context) == ("unknown", "unknown", {})
