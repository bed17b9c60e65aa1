"""SmtpMailer against a real local SMTP server (aiosmtpd): plain, AUTH, STARTTLS and SMTPS."""

from __future__ import annotations

import datetime as dt
import ipaddress
import shutil
import smtplib
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from services.auth.mail import SmtpMailer
from shared.embedded import free_port

HOST = "127.0.0.1"
SENDER = "MITA <no-reply@mita.local>"
USER, PASSWORD = "mailer@mita.local", "s3cret:/pass"


@dataclass
class Received:
    """One mail as the server saw it."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    tls: bool
    login: bytes | None


@dataclass
class Collector:
    """aiosmtpd handler that keeps every mail it receives."""

    mails: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Record the envelope and the parsed message."""
        parsed = message_from_bytes(envelope.original_content, policy=default)
        assert isinstance(parsed, EmailMessage)
        login = session.auth_data.login if session.authenticated else None
        self.mails.append(
            Received(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                parsed,
                server.transport.get_extra_info("ssl_object") is not None,
                login,
            )
        )
        return "250 OK"


def text_of(message: EmailMessage) -> str:
    """The text body with wire line endings undone."""
    content = message.get_content()
    assert isinstance(content, str)
    return content.replace("\r\n", "\n").rstrip("\n")


def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    """Accept exactly USER/PASSWORD."""
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False, auth_data=data if ok else None)


@dataclass(frozen=True)
class Tls:
    """A self-signed certificate for 127.0.0.1 and contexts for both ends."""

    server: ssl.SSLContext
    client: ssl.SSLContext


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    """Self-signed certificate valid for 127.0.0.1."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder: Path = tmp_path_factory.mktemp("smtp-tls")
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    (folder / "cert.pem").write_bytes(cert_pem)
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    client = ssl.create_default_context(cadata=cert_pem.decode())
    shutil.rmtree(folder)  # the contexts hold the key and certificate: nothing stays in /tmp
    return Tls(server, client)


def serve(collector: Collector, **options: Any) -> Iterator[int]:
    """Run an aiosmtpd server on a free loopback port for the duration of a test."""
    port = free_port(HOST)
    controller = Controller(
        collector, hostname=HOST, port=port, server_hostname="localhost", **options
    )
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture
def collector() -> Collector:
    """A fresh mail collector."""
    return Collector()


@pytest.fixture
def plain_port(collector: Collector) -> Iterator[int]:
    """Plain SMTP, no TLS, no AUTH."""
    yield from serve(collector)


async def test_plain_smtp_delivers_recipient_subject_and_body(
    collector: Collector, plain_port: int
) -> None:
    mailer = SmtpMailer(f"smtp://{HOST}:{plain_port}", SENDER)
    body = "Reset your password: mita://reset-password?token=abc123\nCaf\u00e9 \u2713"
    await mailer.send("alice@example.com", "Reset your MITA password \u2713", body)
    [mail] = collector.mails
    assert mail.mail_from == "no-reply@mita.local"
    assert mail.rcpt_tos == ["alice@example.com"]
    assert mail.message["Subject"] == "Reset your MITA password \u2713"
    assert mail.message["To"] == "alice@example.com"
    assert mail.message["From"] == SENDER
    assert text_of(mail.message) == body
    assert mail.tls is False
    assert mail.login is None


async def test_auth_over_plain_smtp(collector: Collector) -> None:
    for port in serve(collector, authenticator=authenticate, auth_require_tls=False):
        url = f"smtp://mailer%40mita.local:s3cret%3A%2Fpass@{HOST}:{port}"
        await SmtpMailer(url, SENDER).send("bob@example.com", "Hi", "body")
        [mail] = collector.mails
        assert mail.login == USER.encode()
        assert mail.rcpt_tos == ["bob@example.com"]


async def test_wrong_credentials_raise(collector: Collector) -> None:
    for port in serve(collector, authenticator=authenticate, auth_require_tls=False):
        mailer = SmtpMailer(f"smtp://mailer:wrong@{HOST}:{port}", SENDER)
        with pytest.raises(smtplib.SMTPAuthenticationError):
            await mailer.send("bob@example.com", "Hi", "body")
        assert collector.mails == []


async def test_starttls_is_used_when_offered(collector: Collector, tls: Tls) -> None:
    options: dict[str, Any] = {
        "tls_context": tls.server,
        "require_starttls": True,
        "authenticator": authenticate,
    }
    for port in serve(collector, **options):
        url = f"smtp://mailer%40mita.local:s3cret%3A%2Fpass@{HOST}:{port}"
        await SmtpMailer(url, SENDER, ssl_context=tls.client).send("c@example.com", "S", "B")
        [mail] = collector.mails
        assert mail.tls is True
        assert mail.login == USER.encode()


async def test_starttls_refuses_an_untrusted_certificate(collector: Collector, tls: Tls) -> None:
    for port in serve(collector, tls_context=tls.server, require_starttls=True):
        with pytest.raises(ssl.SSLCertVerificationError):
            await SmtpMailer(f"smtp://{HOST}:{port}", SENDER).send("c@example.com", "S", "B")
        assert collector.mails == []


async def test_smtps_implicit_tls(collector: Collector, tls: Tls) -> None:
    for port in serve(collector, ssl_context=tls.server):
        mailer = SmtpMailer(f"smtps://{HOST}:{port}", SENDER, ssl_context=tls.client)
        await mailer.send("d@example.com", "Over TLS", "secret link")
        [mail] = collector.mails
        assert mail.tls is True
        assert mail.rcpt_tos == ["d@example.com"]
        assert text_of(mail.message) == "secret link"


async def test_unreachable_server_raises(collector: Collector) -> None:
    mailer = SmtpMailer(f"smtp://{HOST}:{free_port(HOST)}", SENDER, timeout=2)
    with pytest.raises(OSError, match=r"."):
        await mailer.send("e@example.com", "S", "B")
