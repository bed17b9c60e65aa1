"""The portal's session: an admin's access token in an HttpOnly, SameSite=Strict cookie, and
a CSRF token bound to it (every form carries it; every POST checks it)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Form, Request
from starlette.responses import Response

from services.gateway.settings import GatewaySettings
from shared import tokens
from shared.api import ApiError

COOKIE = "mita_admin"
LOGIN_COOKIE = "mita_admin_login"
PATH = "/admin"


class LoginRequired(Exception):
    """No live admin session: the portal sends the browser to its login page."""

    def __init__(self, reason: str = "") -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Session:
    """A signed-in admin: the claims, the token sent upstream, the form's CSRF token."""

    claims: tokens.Claims
    token: str
    csrf: str


def csrf_for(secret: str, token: str) -> str:
    """The CSRF token bound to a session token."""
    return hmac.new(secret.encode(), b"csrf:" + token.encode(), hashlib.sha256).hexdigest()


def login_nonce() -> str:
    """A fresh value for the login form's double-submit cookie."""
    return secrets.token_urlsafe(24)


def set_cookie(response: Response, name: str, value: str, settings: GatewaySettings) -> None:
    """A portal cookie: HttpOnly, SameSite=Strict, Secure outside dev and test."""
    response.set_cookie(
        name, value, path=PATH, httponly=True, samesite="strict",
        secure=settings.environment == "prod", max_age=8 * 3600,
    )  # fmt: skip


async def session(request: Request) -> Session:
    """The admin's session (``LoginRequired`` without a live admin token in the cookie)."""
    token = request.cookies.get(COOKIE)
    if not token:
        raise LoginRequired()
    try:
        claims = await request.app.state.authenticator.require(
            request, tokens.ADMIN_SCOPE, token=token
        )
    except ApiError as exc:
        raise LoginRequired(exc.message) from exc
    secret = request.app.state.settings.secret_key.get_secret_value()
    return Session(claims, token, csrf_for(secret, token))


Admin = Annotated[Session, Depends(session)]


async def posted(admin: Admin, csrf: Annotated[str, Form(max_length=128)] = "") -> Session:
    """A form POST of the session: its CSRF token must match (403 otherwise)."""
    if not hmac.compare_digest(csrf, admin.csrf):
        raise ApiError(403, "The form's CSRF token does not match this session")
    return admin


Posted = Annotated[Session, Depends(posted)]
