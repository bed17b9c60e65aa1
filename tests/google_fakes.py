"""A fake Google: RSA keys with self-signed certificates, a certificate endpoint, ID tokens."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from shared.embedded import free_port

PROJECT = "mita-test-project"
ISSUER = f"https://securetoken.google.com/{PROJECT}"
KID = "kid-1"


@dataclass(frozen=True)
class SigningKey:
    """An RSA key and its self-signed certificate."""

    private_pem: bytes
    cert_pem: bytes


def make_key(common_name: str) -> SigningKey:
    """Generate an RSA key with a self-signed X.509 certificate, like Google's."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return SigningKey(private_pem, cert.public_bytes(serialization.Encoding.PEM))


class CertServer:
    """Serves ``{kid: PEM}`` like Google's x509 endpoint, counting fetches."""

    def __init__(self, certs: dict[str, str]) -> None:
        self.hits = 0
        body = json.dumps(certs).encode()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.hits += 1
                if self.path != "/certs":
                    self.send_error(500)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Cache-Control", "public, max-age=3600, must-revalidate")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/certs"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        """Stop serving."""
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


def claims(**overrides: Any) -> dict[str, Any]:
    """Claims of a valid Firebase ID token, with any overridden (None removes one)."""
    now = int(time.time())
    doc: dict[str, Any] = {
        "iss": ISSUER,
        "aud": PROJECT,
        "sub": "google-uid-123",
        "iat": now - 10,
        "exp": now + 3600,
        "auth_time": now - 10,
        "email": "alice@example.com",
        "email_verified": True,
        "name": "Alice Example",
        "firebase": {"sign_in_provider": "google.com", "identities": {}},
    }
    doc.update(overrides)
    return {k: v for k, v in doc.items() if v is not None}


def sign(key: SigningKey, payload: dict[str, Any], kid: str | None = KID) -> str:
    """An RS256 token signed with ``key``."""
    headers = {"kid": kid} if kid is not None else None
    return jwt.encode(payload, key.private_pem, algorithm="RS256", headers=headers)


def b64(data: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict[str, Any], payload: dict[str, Any], secret: bytes | None) -> str:
    """A hand-made token: HS256 with ``secret``, or unsigned when ``secret`` is None."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    if secret is None:
        return signing_input + "."
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"
