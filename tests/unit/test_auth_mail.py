"""Unit tests of the outbox mailer, SMTP URL handling and the mailer choice."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import stat
from pathlib import Path

import pytest

from services.auth.mail import (
    Mailer,
    OutboxMailer,
    SentMail,
    SmtpMailer,
    make_mailer,
    read_outbox,
)
from services.auth.settings import AuthSettings

SENDER = "MITA <no-reply@mita.local>"


async def test_outbox_roundtrip_creates_the_folder(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "mail" / "outbox.jsonl"
    mailer = OutboxMailer(path)
    await mailer.send("alice@example.com", "Reset your password", "Open mita://reset?token=abc")
    await mailer.send("bob@example.com", "Caf\u00e9 \u2615", "line one\nline two\n")
    mails = mailer.read()
    assert [(m.to, m.subject, m.body) for m in mails] == [
        ("alice@example.com", "Reset your password", "Open mita://reset?token=abc"),
        ("bob@example.com", "Caf\u00e9 \u2615", "line one\nline two\n"),
    ]
    assert read_outbox(path) == mails
    for mail in mails:
        at = dt.datetime.fromisoformat(mail.at)
        assert at.tzinfo is not None
        assert abs((dt.datetime.now(dt.UTC) - at).total_seconds()) < 60


async def test_outbox_is_one_json_object_per_line(tmp_path: Path) -> None:
    path = tmp_path / "outbox.jsonl"
    await OutboxMailer(path).send("a@example.com", "s", "multi\nline")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    assert set(json.loads(lines[0])) == {"to", "subject", "body", "at"}


async def test_outbox_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "outbox.jsonl"
    await OutboxMailer(path).send("a@example.com", "s", "b")
    assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


async def test_outbox_appends_concurrent_sends_intact(tmp_path: Path) -> None:
    mailer = OutboxMailer(tmp_path / "outbox.jsonl")
    await asyncio.gather(
        *(mailer.send(f"u{i}@example.com", f"n{i}", "x" * 5000) for i in range(40))
    )
    mails = mailer.read()
    assert sorted(m.to for m in mails) == sorted(f"u{i}@example.com" for i in range(40))
    assert all(m.body == "x" * 5000 for m in mails)


def test_missing_outbox_reads_empty(tmp_path: Path) -> None:
    assert read_outbox(tmp_path / "nothing.jsonl") == []
    assert OutboxMailer(tmp_path / "nothing.jsonl").read() == []


@pytest.mark.parametrize(
    ("to", "subject"),
    [
        ("a@example.com\r\nBcc: victim@example.com", "hi"),
        ("a@example.com", "hi\nBcc: victim@example.com"),
        ("   ", "hi"),
    ],
)
async def test_header_injection_is_refused(tmp_path: Path, to: str, subject: str) -> None:
    path = tmp_path / "outbox.jsonl"
    with pytest.raises(ValueError, match="mail"):
        await OutboxMailer(path).send(to, subject, "body")
    with pytest.raises(ValueError, match="mail"):
        await SmtpMailer("smtp://127.0.0.1:1", SENDER).send(to, subject, "body")
    assert read_outbox(path) == []


def test_smtp_url_parsing() -> None:
    m = SmtpMailer("smtp://us%40er:p%3Ass%2Fw@mail.example.com:2525", SENDER)
    assert (m.host, m.port, m.implicit_tls) == ("mail.example.com", 2525, False)
    assert (m._user, m._password) == ("us@er", "p:ss/w")
    s = SmtpMailer("smtps://mail.example.com", SENDER)
    assert (s.host, s.port, s.implicit_tls, s._user) == ("mail.example.com", 465, True, None)
    assert SmtpMailer("smtp://mail.example.com", SENDER).port == 25


def test_smtp_repr_hides_credentials() -> None:
    text = repr(SmtpMailer("smtp://user:hunter2@mail.example.com:587", SENDER))
    assert "hunter2" not in text
    assert "user" not in text
    assert "mail.example.com:587" in text


@pytest.mark.parametrize(
    "url", ["http://mail.example.com", "mail.example.com:25", "smtp://", "smtp://host:notaport"]
)
def test_bad_smtp_url_fails_fast(url: str) -> None:
    with pytest.raises(ValueError, match=r"SMTP URL|port"):
        SmtpMailer(url, SENDER)


def test_smtp_message_headers_and_body() -> None:
    msg = SmtpMailer("smtp://mail.example.com", SENDER)._message(
        "alice@example.com", "Reset \u2713", "Hello \u00e9\nmita://reset?token=abc"
    )
    assert msg["From"] == SENDER
    assert msg["To"] == "alice@example.com"
    assert msg["Subject"] == "Reset \u2713"
    assert msg["Message-ID"].endswith("@mita.local>")
    assert msg["Date"]
    assert msg.get_content() == "Hello \u00e9\nmita://reset?token=abc\n"


def test_make_mailer_uses_smtp_when_configured() -> None:
    settings = AuthSettings(
        environment="test", smtp_url="smtps://u:p@mail.example.com:465", mail_from=SENDER
    )
    mailer: Mailer = make_mailer(settings)
    assert isinstance(mailer, SmtpMailer)
    assert (mailer.host, mailer.port, mailer.implicit_tls) == ("mail.example.com", 465, True)
    assert mailer.sender == SENDER


def test_make_mailer_falls_back_to_outbox(tmp_path: Path) -> None:
    outbox = tmp_path / "mail" / "outbox.jsonl"
    mailer = make_mailer(AuthSettings(environment="test", smtp_url="", mail_outbox=str(outbox)))
    assert isinstance(mailer, OutboxMailer)
    assert mailer.path == outbox
    assert not outbox.parent.exists()  # nothing is created until a mail is sent


def test_sent_mail_is_a_value() -> None:
    assert SentMail("a", "b", "c", "d") == SentMail("a", "b", "c", "d")
