"""Public auth and user routes (`/api/auth/*`, `/api/users/me`, `/api/admin/users`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from contracts import auth as a
from contracts.auth import (
    ChangePasswordRequest,
    DeleteAccountRequest,
    ForgotPasswordRequest,
    GoogleLoginRequest,
    LoginRequest,
    LogoutRequest,
    RefreshRequest,
    RegisterRequest,
    ResetPasswordRequest,
    UserUpdate,
    ValidateTokenRequest,
)
from contracts.envelope import Envelope as E
from services.gateway.audit import audit
from services.gateway.deps import Admin, ProfileReader, ProfileWriter, Services, User
from services.gateway.routing import body, slash_tolerant

router = APIRouter(prefix="/api", redirect_slashes=False)
route = slash_tolerant(router)


@route("POST", "/auth/register", status_code=201, tags=["auth"], response_model=E[a.AuthTokens])
async def register(payload: RegisterRequest, request: Request, up: Services) -> Response:
    """Create an account; answers tokens and the user."""
    return await up.forward("auth", request, "/auth/register", json=body(payload))


@route("POST", "/auth/login", tags=["auth"], response_model=E[a.AuthTokens])
async def login(payload: LoginRequest, request: Request, up: Services) -> Response:
    """Sign in with email and password."""
    answer = await up.forward("auth", request, "/auth/login", json=body(payload))
    if answer.status_code in (401, 429):
        event = "auth.login_failed" if answer.status_code == 401 else "auth.login_throttled"
        audit(event, request, email_domain=str(payload.email).rpartition("@")[2])
    return answer


@route("POST", "/auth/google", tags=["auth"], response_model=E[a.AuthTokens])
async def google(payload: GoogleLoginRequest, request: Request, up: Services) -> Response:
    """Sign in with a Google ID token."""
    return await up.forward("auth", request, "/auth/google", json=body(payload))


@route("POST", "/auth/refresh-token", tags=["auth"], response_model=E[a.AuthTokens])
async def refresh(payload: RefreshRequest, request: Request, up: Services) -> Response:
    """Rotate a refresh token (a bearer header, if the app sends one, is ignored)."""
    answer = await up.forward(
        "auth", request, "/auth/refresh-token", json=body(payload), bearer=False
    )
    if answer.status_code == 401:
        audit("auth.refresh_rejected", request)
    return answer


@route("POST", "/auth/logout", tags=["auth"], response_model=E[a.LogoutAnswer])
async def logout(payload: LogoutRequest, _: User, request: Request, up: Services) -> Response:
    """Revoke the access token and its refresh family."""
    return await up.forward("auth", request, "/auth/logout", json=body(payload))


@route("POST", "/auth/forgot-password", tags=["auth"], response_model=E[a.MessageAnswer])
async def forgot(payload: ForgotPasswordRequest, request: Request, up: Services) -> Response:
    """Mail a reset link (identical answer for unknown emails)."""
    return await up.forward("auth", request, "/auth/forgot-password", json=body(payload))


@route("GET", "/auth/verify-reset-token", tags=["auth"], response_model=E[a.ValidAnswer])
async def verify_reset(
    request: Request, up: Services, token: str = Query(min_length=1, max_length=4096)
) -> Response:
    """Whether a reset token is usable (400 when not)."""
    return await up.forward("auth", request, "/auth/verify-reset-token", params={"token": token})


@route("POST", "/auth/reset-password", tags=["auth"], response_model=E[a.DoneAnswer])
async def reset(payload: ResetPasswordRequest, request: Request, up: Services) -> Response:
    """Set a new password with a reset token."""
    return await up.forward("auth", request, "/auth/reset-password", json=body(payload))


@route("POST", "/auth/change-password", tags=["auth"], response_model=E[a.AuthTokens])
async def change_password(
    payload: ChangePasswordRequest, _: ProfileWriter, request: Request, up: Services
) -> Response:
    """Change the password (older tokens die)."""
    return await up.forward("auth", request, "/auth/change-password", json=body(payload))


@route("DELETE", "/auth/delete-account", tags=["auth"], response_model=E[a.DoneAnswer])
async def delete_account(
    payload: DeleteAccountRequest, _: ProfileWriter, request: Request, up: Services
) -> Response:
    """Delete the caller's account."""
    return await up.forward("auth", request, "/auth/delete-account", json=body(payload))


@route("GET", "/auth/security-status", tags=["auth"], response_model=E[a.SecurityStatus])
async def security_status(_: ProfileReader, request: Request, up: Services) -> Response:
    """Sign-in and token facts for the security screen."""
    return await up.forward("auth", request, "/auth/security-status")


@route("POST", "/auth/validate-token", tags=["auth"], response_model=E[a.ValidAnswer])
async def validate_token(payload: ValidateTokenRequest, request: Request, up: Services) -> Response:
    """Whether an access token would be accepted now."""
    return await up.forward("auth", request, "/auth/validate-token", json=body(payload))


@route("GET", "/users/me", tags=["users"], response_model=E[a.UserProfile])
async def me(_: ProfileReader, request: Request, up: Services) -> Response:
    """The caller's profile."""
    return await up.forward("auth", request, "/users/me")


@route("PATCH", "/users/me", tags=["users"], response_model=E[a.UserProfile])
async def update_me(
    payload: UserUpdate, _: ProfileWriter, request: Request, up: Services
) -> Response:
    """Change profile fields and preferences."""
    return await up.forward("auth", request, "/users/me", json=body(payload))


@route("GET", "/admin/users", tags=["admin"], response_model=E[list[a.UserProfile]])
async def admin_users(
    _: Admin,
    request: Request,
    up: Services,
    limit: int = Query(default=50),
    offset: int = Query(default=0, ge=0, le=10_000_000),
    q: Annotated[
        str,
        Query(max_length=120, pattern=r"^[^\x00]*$", description="a piece of the email or name"),
    ] = "",
) -> Response:
    """Users for the admin portal (page size clamped to 1..100)."""
    params = {"limit": limit, "offset": offset, "q": q}
    return await up.forward("auth", request, "/admin/users", params=params)
