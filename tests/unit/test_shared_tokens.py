"""shared.tokens: issuing and verifying MITA JWTs (payloads forged with PyJWT directly)."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from shared import tokens
from shared.tokens import AUDIENCE, ISSUER, REQUIRED, USER_SCOPES, Claims, TokenError

SECRET = "unit-test-secret-" + "x" * 48
USER = uuid.UUID("00000000-0000-4000-8000-000000000001")


def payload(**overrides: Any) -> dict[str, Any]:
    """A valid access-token payload; ``None`` values remove the claim."""
    now = int(time.time())
    body: dict[str, Any] = {
        "sub": str(USER),
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + 300,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "typ": "access",
        "tv": 3,
        "scopes": ["read:profile"],
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def sign(body: dict[str, Any], secret: str = SECRET, algorithm: str = "HS256") -> str:
    """Sign a payload with PyJWT."""
    return jwt.encode(body, secret, algorithm=algorithm)


def test_issue_and_verify_access_roundtrip() -> None:
    now = dt.datetime.now(dt.UTC)
    token, claims = tokens.issue(
        SECRET,
        user_id=USER,
        typ="access",
        ttl=dt.timedelta(minutes=15),
        token_version=4,
        scopes=USER_SCOPES,
        now=now,
    )
    assert claims.exp - claims.iat == 900
    assert claims.iat == int(now.timestamp())
    assert claims.fam is None
    assert len(claims.jti) == 32
    assert tokens.verify(SECRET, token, "access") == claims
    assert claims.user_id == USER
    raw = jwt.decode(token, options={"verify_signature": False})
    assert set(raw) == set(REQUIRED)
    assert raw["iss"] == ISSUER
    assert raw["aud"] == AUDIENCE
    assert jwt.get_unverified_header(token)["alg"] == "HS256"


def test_issue_and_verify_refresh_roundtrip_with_family() -> None:
    token, claims = tokens.issue(
        SECRET,
        user_id=USER,
        typ="refresh",
        ttl=dt.timedelta(days=30),
        token_version=0,
        scopes=("read:profile", "admin"),
        family="fam-1",
    )
    got = tokens.verify(SECRET, token, "refresh")
    assert got == claims
    assert (got.typ, got.fam, got.tv, got.scopes) == (
        "refresh",
        "fam-1",
        0,
        ("read:profile", "admin"),
    )


def test_each_issue_has_a_new_jti() -> None:
    jtis = {
        tokens.issue(
            SECRET,
            user_id=USER,
            typ="access",
            ttl=dt.timedelta(minutes=1),
            token_version=0,
            scopes=(),
        )[1].jti
        for _ in range(5)
    }
    assert len(jtis) == 5


def test_forged_payload_with_all_claims_verifies() -> None:
    claims = tokens.verify(SECRET, sign(payload(fam="f")), "access")
    assert (claims.sub, claims.tv, claims.scopes, claims.fam) == (USER, 3, ("read:profile",), "f")


@pytest.mark.parametrize("claim", REQUIRED)
def test_each_required_claim_missing_is_refused(claim: str) -> None:
    body = payload()
    del body[claim]
    with pytest.raises(TokenError):
        tokens.verify(SECRET, sign(body), "access")


def test_wrong_secret_is_refused() -> None:
    with pytest.raises(TokenError, match=r"[Ss]ignature"):
        tokens.verify(SECRET, sign(payload(), secret="another-secret-" + "y" * 48), "access")


@pytest.mark.parametrize(
    ("typ", "expected"), [("refresh", "access"), ("access", "refresh"), ("id", "access")]
)
def test_wrong_type_is_refused(typ: str, expected: tokens.TokenType) -> None:
    with pytest.raises(TokenError):
        tokens.verify(SECRET, sign(payload(typ=typ, fam="f")), expected)


def test_alg_none_is_refused() -> None:
    unsigned = jwt.encode(payload(), "", algorithm="none")
    assert jwt.get_unverified_header(unsigned)["alg"] == "none"
    with pytest.raises(TokenError, match="none"):
        tokens.verify(SECRET, unsigned, "access")


def test_hs384_is_refused_even_with_the_right_secret() -> None:
    with pytest.raises(TokenError, match="HS384"):
        tokens.verify(SECRET, sign(payload(), algorithm="HS384"), "access")


def test_rs256_is_refused() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    token = jwt.encode(payload(), pem, algorithm="RS256")
    with pytest.raises(TokenError, match="RS256"):
        tokens.verify(SECRET, token, "access")
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # Algorithm confusion: the public key used as the HMAC secret must not help either.
    with pytest.raises(TokenError):
        tokens.verify(public.decode(), token, "access")


def test_header_claiming_hs256_but_not_signed_with_it_is_refused() -> None:
    good = sign(payload())
    header, body, _sig = good.split(".")
    with pytest.raises(TokenError):
        tokens.verify(SECRET, f"{header}.{body}.", "access")
    with pytest.raises(TokenError):
        tokens.verify(SECRET, "not.a.jwt", "access")
    with pytest.raises(TokenError):
        tokens.verify(SECRET, "", "access")


def test_expired_token_is_refused() -> None:
    now = int(time.time())
    with pytest.raises(TokenError, match="expired"):
        tokens.verify(SECRET, sign(payload(iat=now - 120, exp=now - 60)), "access")
    stale, claims = tokens.issue(
        SECRET,
        user_id=USER,
        typ="access",
        ttl=dt.timedelta(minutes=5),
        token_version=0,
        scopes=(),
        now=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10),
    )
    with pytest.raises(TokenError):
        tokens.verify(SECRET, stale, "access")
    assert claims.seconds_left() == 1  # already expired: the floor


@pytest.mark.parametrize(
    ("claim", "value"),
    [("iss", "someone-else"), ("aud", "other-api"), ("sub", "not-a-uuid")],
)
def test_wrong_issuer_audience_subject_are_refused(claim: str, value: str) -> None:
    with pytest.raises(TokenError):
        tokens.verify(SECRET, sign(payload(**{claim: value})), "access")


@pytest.mark.parametrize(
    "scopes", ["read:profile", [1, 2], ["ok", None], {"a": 1}, [["nested"]], True]
)
def test_bad_scopes_types_are_refused(scopes: Any) -> None:
    with pytest.raises(TokenError):
        tokens.verify(SECRET, sign(payload(scopes=scopes)), "access")


def test_empty_scopes_are_allowed() -> None:
    assert tokens.verify(SECRET, sign(payload(scopes=[])), "access").scopes == ()


@pytest.mark.parametrize("tv", ["3", 3.0, True, False, [3], {"v": 3}])
def test_bad_token_version_types_are_refused(tv: Any) -> None:
    with pytest.raises(TokenError, match="version"):
        tokens.verify(SECRET, sign(payload(tv=tv)), "access")


@pytest.mark.parametrize("fam", [None, 7, ["f"]])
def test_refresh_without_string_family_is_refused(fam: Any) -> None:
    with pytest.raises(TokenError, match="family"):
        tokens.verify(SECRET, sign(payload(typ="refresh", fam=fam)), "refresh")


def test_access_token_with_non_string_family_has_no_family() -> None:
    assert tokens.verify(SECRET, sign(payload(fam=7)), "access").fam is None


def test_seconds_left() -> None:
    now = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    base = int(now.timestamp())
    claims = Claims(sub=USER, jti="j", iat=base, exp=base + 90, typ="access", tv=0, scopes=())
    assert claims.seconds_left(now) == 90
    assert claims.seconds_left(now + dt.timedelta(seconds=89)) == 1
    assert claims.seconds_left(now + dt.timedelta(hours=1)) == 1
