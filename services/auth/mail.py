"""Outgoing mail: SMTP when configured, else a local JSON-lines outbox (dev and tests)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import smtplib
import ssl
import threading
from dataclasses import asdict, dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from services.auth.settings import AuthSettings

log = logging.getLogger(__name__)

SMTP_PORT = 25
SMTPS_PORT = 465


class Mailer(Protocol):
    """Something that delivers one plain-text mail."""

    async def send(self, to: str, subject: str, body: str) -> None:
        """Deliver ``body`` to ``to`` under ``subject``."""
        ...


@dataclass(frozen=True)
class SentMail:
    """One mail as recorded in the outbox."""

    to: str
    subject: str
    body: str
    at: str


def _check_headers(to: str, subject: str) -> None:
    """Refuse header injection: no line breaks in the recipient or the subject."""
    for name, value in (("to", to), ("subject", subject)):
        if "\r" in value or "\n" in value:
            raise ValueError(f"mail {name} must not contain line breaks")
    if not to.strip():
        raise ValueError("mail recipient must not be empty")


class OutboxMailer:
    """Appends one JSON line per mail to a local file (owner-only: it holds reset links)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    async def send(self, to: str, subject: str, body: str) -> None:
        """Record the mail in the outbox file."""
        _check_headers(to, subject)
        at = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        line = json.dumps(asdict(SentMail(to, subject, body, at)), ensure_ascii=False) + "\n"
        await asyncio.to_thread(self._append, line)

    def _append(self, line: str) -> None:
        """Append one line atomically with respect to other sends of this process."""
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as f:
                f.write(line)

    def read(self) -> list[SentMail]:
        """Every mail in this outbox, oldest first."""
        return read_outbox(self.path)


def read_outbox(path: str | os.PathLike[str]) -> list[SentMail]:
    """Every mail in the outbox at ``path``, oldest first (empty when there is no file)."""
    file = Path(path)
    if not file.exists():
        return []
    mails: list[SentMail] = []
    for line in file.read_text(encoding="utf-8").splitlines():
        if line.strip():
            doc = json.loads(line)
            mails.append(SentMail(doc["to"], doc["subject"], doc["body"], doc["at"]))
    return mails


class SmtpMailer:
    """Sends with ``smtplib`` in a worker thread: ``smtp://user:pass@host:port`` or ``smtps://``.

    Plain ``smtp://`` upgrades with STARTTLS (certificate verified) when the server offers it.
    """

    def __init__(
        self,
        url: str,
        sender: str,
        *,
        timeout: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError("SMTP URL must start with smtp:// or smtps://")
        if not parts.hostname:
            raise ValueError("SMTP URL must name a host")
        self.host = parts.hostname
        self.implicit_tls = parts.scheme == "smtps"
        self.port = parts.port or (SMTPS_PORT if self.implicit_tls else SMTP_PORT)
        self._user = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else ""
        self.sender = sender
        self.timeout = timeout
        self._ssl_context = ssl_context

    def __repr__(self) -> str:
        scheme = "smtps" if self.implicit_tls else "smtp"
        return f"SmtpMailer({scheme}://{self.host}:{self.port}, sender={self.sender!r})"

    def _message(self, to: str, subject: str, body: str) -> EmailMessage:
        """Build the RFC 5322 message."""
        _check_headers(to, subject)
        domain = parseaddr(self.sender)[1].rpartition("@")[2] or "mita.local"
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = to
        msg["Subject"] = subject
        msg["Date"] = formatdate(usegmt=True)
        msg["Message-ID"] = make_msgid(domain=domain)
        msg.set_content(body)
        return msg

    async def send(self, to: str, subject: str, body: str) -> None:
        """Deliver the mail through the SMTP server."""
        msg = self._message(to, subject, body)
        await asyncio.to_thread(self._deliver, msg)

    def _deliver(self, msg: EmailMessage) -> None:
        """Blocking SMTP conversation (runs in a thread)."""
        context = self._ssl_context or ssl.create_default_context()
        client: smtplib.SMTP
        if self.implicit_tls:
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            client.ehlo()
            if not self.implicit_tls and client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo()
            if self._user is not None:
                client.login(self._user, self._password)
            client.send_message(msg)


def make_mailer(settings: AuthSettings) -> Mailer:
    """SMTP when ``MITA_SMTP_URL`` is set, else the local outbox at ``MITA_MAIL_OUTBOX``."""
    if settings.smtp_url:
        return SmtpMailer(settings.smtp_url, settings.mail_from)
    if settings.environment == "prod":
        log.warning(
            "MITA_SMTP_URL is not set: mail goes to the local outbox %s", settings.mail_outbox
        )
    return OutboxMailer(settings.mail_outbox)
