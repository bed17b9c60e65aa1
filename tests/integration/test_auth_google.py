"""Firebase ID-token verification against a local certificate endpoint (no network)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from services.auth.google import (
    EMULATOR_ENV,
    MAX_TOKEN_CHARS,
    DisabledGoogleVerifier,
    FirebaseVerifier,
    GoogleCertificatesUnavailable,
    GoogleIdentity,
    GoogleSignInNotConfigured,
    GoogleTokenInvalid,
    make_google_verifier,
)
from services.auth.settings import GOOGLE_CERTS_URL, AuthSettings
from shared.embedded import free_port
from tests.google_fakes import (
    KID,
    PROJECT,
    CertServer,
    SigningKey,
    b64,
    claims,
    forge,
    make_key,
    sign,
)


@pytest.fixture(scope="module")
def google_key() -> SigningKey:
    """The key whose certificate the endpoint serves under KID."""
    return make_key("securetoken.system.gserviceaccount.com")


@pytest.fixture(scope="module")
def attacker_key() -> SigningKey:
    """A key the endpoint knows nothing about."""
    return make_key("attacker")


@pytest.fixture(scope="module")
def cert_server(google_key: SigningKey) -> Iterator[CertServer]:
    """The local certificate endpoint."""
    server = CertServer({KID: google_key.cert_pem.decode()})
    yield server
    server.close()


@pytest.fixture
def verifier(cert_server: CertServer) -> Iterator[FirebaseVerifier]:
    """A verifier (own SDK app, own certificate cache) pointed at the local endpoint."""
    v = FirebaseVerifier(PROJECT, cert_server.url)
    yield v
    v.close()


async def test_valid_token_gives_identity(
    verifier: FirebaseVerifier, google_key: SigningKey
) -> None:
    identity = await verifier.verify(sign(google_key, claims()))
    assert identity == GoogleIdentity(
        uid="google-uid-123", email="alice@example.com", email_verified=True, name="Alice Example"
    )


async def test_unverified_email_and_missing_name(
    verifier: FirebaseVerifier, google_key: SigningKey
) -> None:
    identity = await verifier.verify(sign(google_key, claims(email_verified=False, name=None)))
    assert identity.email_verified is False
    assert identity.name is None
    odd = await verifier.verify(sign(google_key, claims(email_verified="true")))
    assert odd.email_verified is False  # only a JSON true counts


async def test_certificates_are_cached_per_cache_control(
    verifier: FirebaseVerifier, google_key: SigningKey, cert_server: CertServer
) -> None:
    before = cert_server.hits
    for _ in range(3):
        await verifier.verify(sign(google_key, claims()))
    assert cert_server.hits - before == 1


def _from_now(seconds: int) -> int:
    return int(time.time()) + seconds


# Overrides are built when the test runs, not when it is collected: a slow run must not turn
# "in the future" into the past.
@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param(lambda: {"aud": "another-project"}, id="wrong-audience"),
        pytest.param(lambda: {"aud": [PROJECT, "other"]}, id="audience-list"),
        pytest.param(lambda: {"iss": "https://securetoken.google.com/other"}, id="wrong-issuer"),
        pytest.param(lambda: {"iss": "https://accounts.google.com"}, id="google-oauth-issuer"),
        pytest.param(lambda: {"iat": _from_now(-7200), "exp": _from_now(-3600)}, id="expired"),
        pytest.param(lambda: {"iat": _from_now(600)}, id="issued-in-the-future"),
        pytest.param(lambda: {"auth_time": _from_now(600)}, id="auth-in-the-future"),
        pytest.param(lambda: {"exp": None}, id="no-exp"),
        pytest.param(lambda: {"sub": None}, id="no-subject"),
        pytest.param(lambda: {"sub": ""}, id="empty-subject"),
        pytest.param(lambda: {"sub": "x" * 129}, id="long-subject"),
        pytest.param(lambda: {"email": None}, id="no-email"),
        pytest.param(lambda: {"email": "  "}, id="blank-email"),
    ],
)
async def test_bad_claims_are_refused(
    verifier: FirebaseVerifier,
    google_key: SigningKey,
    overrides: Callable[[], dict[str, Any]],
) -> None:
    with pytest.raises(GoogleTokenInvalid):
        await verifier.verify(sign(google_key, claims(**overrides())))


async def test_missing_kid_is_refused(verifier: FirebaseVerifier, google_key: SigningKey) -> None:
    with pytest.raises(GoogleTokenInvalid, match="kid"):
        await verifier.verify(sign(google_key, claims(), kid=None))


async def test_unknown_kid_is_refused(verifier: FirebaseVerifier, google_key: SigningKey) -> None:
    with pytest.raises(GoogleTokenInvalid):
        await verifier.verify(sign(google_key, claims(), kid="kid-unknown"))


async def test_foreign_key_under_known_kid_is_refused(
    verifier: FirebaseVerifier, attacker_key: SigningKey
) -> None:
    with pytest.raises(GoogleTokenInvalid):
        await verifier.verify(sign(attacker_key, claims()))


async def test_hs256_with_certificate_as_secret_is_refused(
    verifier: FirebaseVerifier, google_key: SigningKey
) -> None:
    token = forge({"alg": "HS256", "typ": "JWT", "kid": KID}, claims(), google_key.cert_pem)
    with pytest.raises(GoogleTokenInvalid, match="algorithm"):
        await verifier.verify(token)


@pytest.mark.parametrize("kid", [KID, None])
async def test_alg_none_is_refused(verifier: FirebaseVerifier, kid: str | None) -> None:
    header: dict[str, Any] = {"alg": "none", "typ": "JWT"}
    if kid:
        header["kid"] = kid
    with pytest.raises(GoogleTokenInvalid):
        await verifier.verify(forge(header, claims(), None))


async def test_tampered_signature_is_refused(
    verifier: FirebaseVerifier, google_key: SigningKey
) -> None:
    head, body, sig = sign(google_key, claims()).split(".")
    middle = len(sig) // 2
    flipped = sig[:middle] + ("A" if sig[middle] != "A" else "B") + sig[middle + 1 :]
    with pytest.raises(GoogleTokenInvalid):
        await verifier.verify(f"{head}.{body}.{flipped}")


async def test_tampered_payload_is_refused(
    verifier: FirebaseVerifier, google_key: SigningKey
) -> None:
    head, _, sig = sign(google_key, claims()).split(".")
    evil = b64(json.dumps(claims(email="mallory@example.com")).encode())
    with pytest.raises(GoogleTokenInvalid):
        await verifier.verify(f"{head}.{evil}.{sig}")


@pytest.mark.parametrize(
    "token", ["", "not-a-jwt", "a.b.c", "a.b", "...", "x" * (MAX_TOKEN_CHARS + 1)]
)
async def test_garbage_is_refused(verifier: FirebaseVerifier, token: str) -> None:
    with pytest.raises(GoogleTokenInvalid):
        await verifier.verify(token)


async def test_unreachable_certificates_fail_closed(google_key: SigningKey) -> None:
    v = FirebaseVerifier(PROJECT, f"http://127.0.0.1:{free_port()}/certs", http_timeout=2)
    try:
        with pytest.raises(GoogleCertificatesUnavailable):
            await v.verify(sign(google_key, claims()))
    finally:
        v.close()


async def test_certificate_endpoint_error_fails_closed(
    google_key: SigningKey, cert_server: CertServer
) -> None:
    v = FirebaseVerifier(PROJECT, cert_server.url.replace("/certs", "/broken"))
    try:
        with pytest.raises(GoogleCertificatesUnavailable):
            await v.verify(sign(google_key, claims()))
    finally:
        v.close()


async def test_emulator_mode_is_refused(
    verifier: FirebaseVerifier, google_key: SigningKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(EMULATOR_ENV, "127.0.0.1:9099")
    with pytest.raises(ValueError, match=EMULATOR_ENV):
        FirebaseVerifier(PROJECT)
    with pytest.raises(GoogleTokenInvalid, match=EMULATOR_ENV):
        await verifier.verify(forge({"alg": "none"}, claims(), None))


def test_verifiers_do_not_clash_and_need_a_project() -> None:
    first, second = FirebaseVerifier(PROJECT), FirebaseVerifier(PROJECT)
    first.close()
    second.close()
    with pytest.raises(ValueError, match="project"):
        FirebaseVerifier("")


async def test_disabled_verifier_refuses() -> None:
    with pytest.raises(GoogleSignInNotConfigured):
        await DisabledGoogleVerifier().verify("anything")
    assert not issubclass(GoogleSignInNotConfigured, GoogleTokenInvalid)


def test_make_google_verifier_choice(cert_server: CertServer) -> None:
    disabled = make_google_verifier(AuthSettings(environment="test", google_project_id=""))
    assert isinstance(disabled, DisabledGoogleVerifier)
    chosen = make_google_verifier(
        AuthSettings(
            environment="test", google_project_id=PROJECT, google_certs_url=cert_server.url
        )
    )
    assert isinstance(chosen, FirebaseVerifier)
    assert (chosen.project_id, chosen.certs_url) == (PROJECT, cert_server.url)
    chosen.close()
    default = FirebaseVerifier(PROJECT)
    assert default.certs_url == GOOGLE_CERTS_URL
    default.close()
