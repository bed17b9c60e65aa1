"""JWTs: HS256 access and refresh tokens with required claims (issued by auth, checked by all)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any, Literal

import jwt

ALGORITHM = "HS256"
ISSUER = "mita-auth"
AUDIENCE = "mita-api"
REQUIRED = ["sub", "jti", "iat", "exp", "iss", "aud", "typ", "tv", "scopes"]
USER_SCOPES: tuple[str, ...] = (
    "read:profile",
    "write:profile",
    "read:transactions",
    "write:transactions",
    "read:budget",
    "manage:budget",
    "read:goals",
    "write:goals",
    "read:insights",
    "read:notifications",
    "write:notifications",
    "read:ocr",
    "write:ocr",
)
ADMIN_SCOPE = "admin"
TokenType = Literal["access", "refresh"]


class TokenError(Exception):
    """A token that must not be accepted (the reason is for logs, not for clients)."""


@dataclass(frozen=True)
class Claims:
    """The verified claims of a MITA token."""

    sub: uuid.UUID
    jti: str
    iat: int
    exp: int
    typ: TokenType
    tv: int
    scopes: tuple[str, ...]
    fam: str | None = None

    @property
    def user_id(self) -> uuid.UUID:
        """The subject as a user id."""
        return self.sub

    def seconds_left(self, now: dt.datetime | None = None) -> int:
        """Seconds until expiry (at least 1, for deny-list expiry)."""
        current = int((now or dt.datetime.now(dt.UTC)).timestamp())
        return max(self.exp - current, 1)


def issue(
    secret: str,
    *,
    user_id: uuid.UUID,
    typ: TokenType,
    ttl: dt.timedelta,
    token_version: int,
    scopes: tuple[str, ...],
    family: str | None = None,
    now: dt.datetime | None = None,
) -> tuple[str, Claims]:
    """Sign a token; return it with its claims."""
    issued = now or dt.datetime.now(dt.UTC)
    claims = Claims(
        sub=user_id,
        jti=uuid.uuid4().hex,
        iat=int(issued.timestamp()),
        exp=int((issued + ttl).timestamp()),
        typ=typ,
        tv=token_version,
        scopes=scopes,
        fam=family,
    )
    payload: dict[str, Any] = {
        "sub": str(user_id),
        "jti": claims.jti,
        "iat": claims.iat,
        "exp": claims.exp,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "typ": typ,
        "tv": token_version,
        "scopes": list(scopes),
    }
    if family is not None:
        payload["fam"] = family
    return jwt.encode(payload, secret, algorithm=ALGORITHM), claims


def verify(secret: str, token: str, expected: TokenType) -> Claims:
    """Verify signature, algorithm, expiry, issuer, audience, required claims and type."""
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") != ALGORITHM:
            raise TokenError(f"algorithm {header.get('alg')!r} not accepted")
        payload = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": REQUIRED},
        )
        typ = payload["typ"]
        if typ != expected:
            raise TokenError(f"a {typ} token is not a {expected} token")
        scopes = payload["scopes"]
        if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
            raise TokenError("scopes must be a list of strings")
        tv = payload["tv"]
        if not isinstance(tv, int) or isinstance(tv, bool):
            raise TokenError("token version must be an integer")
        fam = payload.get("fam")
        if expected == "refresh" and not isinstance(fam, str):
            raise TokenError("refresh token without family")
        return Claims(
            sub=uuid.UUID(str(payload["sub"])),
            jti=str(payload["jti"]),
            iat=int(payload["iat"]),
            exp=int(payload["exp"]),
            typ=typ,
            tv=tv,
            scopes=tuple(scopes),
            fam=fam if isinstance(fam, str) else None,
        )
    except TokenError:
        raise
    except (jwt.PyJWTError, ValueError, KeyError, TypeError) as exc:
        raise TokenError(str(exc)) from exc
