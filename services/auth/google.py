"""Google sign-in: Firebase ID tokens verified with the firebase-admin SDK."""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import firebase_admin
from firebase_admin import _token_gen, credentials
from firebase_admin import exceptions as firebase_exceptions
from google.auth.credentials import AnonymousCredentials

from services.auth.settings import GOOGLE_CERTS_URL, AuthSettings

log = logging.getLogger(__name__)

# Real Firebase ID tokens are ~1 KB; refuse absurd input before any parsing.
MAX_TOKEN_CHARS = 8192
# With the emulator variable set, firebase-admin skips the signature check entirely.
EMULATOR_ENV = "FIREBASE_AUTH_EMULATOR_HOST"


class GoogleTokenInvalid(Exception):
    """The ID token is not a valid, unexpired Firebase ID token for our project."""


class GoogleCertificatesUnavailable(GoogleTokenInvalid):
    """Google's signing certificates could not be fetched (the token is refused, fail closed)."""


class GoogleSignInNotConfigured(Exception):
    """Google sign-in is disabled: no Firebase project id is configured."""


@dataclass(frozen=True)
class GoogleIdentity:
    """Who a verified ID token says the user is."""

    uid: str
    email: str
    email_verified: bool
    name: str | None


class GoogleVerifier(Protocol):
    """Turns an ID token into a verified identity."""

    async def verify(self, id_token: str) -> GoogleIdentity:
        """Verify ``id_token``; raise GoogleTokenInvalid when it is not acceptable."""
        ...


class _AnonymousCredential(credentials.Base):  # type: ignore[misc]
    """A credential that never authenticates: verifying ID tokens needs no Google account."""

    def get_credential(self) -> AnonymousCredentials:
        """The google-auth anonymous credentials."""
        return AnonymousCredentials()  # type: ignore[no-untyped-call]


def _identity(claims: Mapping[str, Any], clock_skew_seconds: int) -> GoogleIdentity:
    """Extract the identity from verified claims, requiring an email address."""
    email = claims.get("email")
    if not isinstance(email, str) or not email.strip():
        raise GoogleTokenInvalid("ID token has no email claim")
    auth_time = claims.get("auth_time")
    if isinstance(auth_time, int | float) and auth_time > time.time() + clock_skew_seconds:
        raise GoogleTokenInvalid("ID token auth_time is in the future")
    name = claims.get("name")
    return GoogleIdentity(
        uid=str(claims["uid"]),
        email=email.strip(),
        email_verified=claims.get("email_verified") is True,
        name=name if isinstance(name, str) and name else None,
    )


class FirebaseVerifier:
    """Verifies Firebase ID tokens (RS256, aud, iss, exp/iat, sub) with firebase-admin."""

    def __init__(
        self,
        project_id: str,
        certs_url: str = GOOGLE_CERTS_URL,
        *,
        clock_skew_seconds: int = 5,
        http_timeout: float = 10.0,
    ) -> None:
        if not project_id:
            raise ValueError("a Firebase project id is required")
        if os.environ.get(EMULATOR_ENV):
            raise ValueError(f"{EMULATOR_ENV} is set: firebase-admin would skip signature checks")
        self.project_id = project_id
        self.clock_skew_seconds = clock_skew_seconds
        self._app = firebase_admin.initialize_app(
            _AnonymousCredential(),
            options={"projectId": project_id, "httpTimeout": http_timeout},
            name=f"mita-google-signin-{uuid.uuid4().hex}",
        )
        self._verifier = _token_gen.TokenVerifier(self._app)
        self._verifier.id_token_verifier.cert_url = certs_url

    @property
    def certs_url(self) -> str:
        """Where the signing certificates are fetched from (cached per Cache-Control)."""
        url: str = self._verifier.id_token_verifier.cert_url
        return url

    async def verify(self, id_token: str) -> GoogleIdentity:
        """Verify ``id_token`` off the event loop; raise GoogleTokenInvalid when unacceptable."""
        if not isinstance(id_token, str) or not id_token or len(id_token) > MAX_TOKEN_CHARS:
            raise GoogleTokenInvalid("ID token is empty or too long")
        claims = await asyncio.to_thread(self._verify_blocking, id_token)
        return _identity(claims, self.clock_skew_seconds)

    def _verify_blocking(self, id_token: str) -> Mapping[str, Any]:
        """Run the SDK's verification, translating every failure to GoogleTokenInvalid."""
        if os.environ.get(EMULATOR_ENV):
            raise GoogleTokenInvalid(f"refusing to verify while {EMULATOR_ENV} is set")
        try:
            claims: Mapping[str, Any] = self._verifier.verify_id_token(
                id_token, clock_skew_seconds=self.clock_skew_seconds
            )
        except _token_gen.CertificateFetchError as exc:
            log.warning("cannot fetch Google signing certificates: %s", exc)
            raise GoogleCertificatesUnavailable("signing certificates unavailable") from exc
        except (firebase_exceptions.FirebaseError, ValueError) as exc:
            raise GoogleTokenInvalid(str(exc)) from exc
        except Exception as exc:  # fail closed on anything the SDK did not anticipate
            log.warning("unexpected ID token verification failure", exc_info=True)
            raise GoogleTokenInvalid("ID token could not be verified") from exc
        return claims

    def close(self) -> None:
        """Release the SDK app this verifier registered."""
        firebase_admin.delete_app(self._app)


class DisabledGoogleVerifier:
    """Used when no Firebase project is configured: every sign-in is refused."""

    async def verify(self, id_token: str) -> GoogleIdentity:
        """Always raise GoogleSignInNotConfigured."""
        raise GoogleSignInNotConfigured("Google sign-in is not configured")


def make_google_verifier(settings: AuthSettings) -> GoogleVerifier:
    """Firebase verification when ``MITA_GOOGLE_PROJECT_ID`` is set, else disabled."""
    if settings.google_project_id:
        return FirebaseVerifier(settings.google_project_id, settings.google_certs_url)
    return DisabledGoogleVerifier()
