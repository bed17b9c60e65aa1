"""Auth HTTP API (internal; the gateway publishes it under /api): parse, decide, map errors."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from fastapi import APIRouter, BackgroundTasks, Query, Request
from fastapi.responses import Response

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
    jsonable,
)
from services.auth.application import InvalidCredentials, Saved, WeakPassword
from services.auth.deps import AuthContext, Caller, Context, client_ip
from services.auth.domain import PREFERENCE_FIELDS
from services.auth.google import (
    GoogleCertificatesUnavailable,
    GoogleSignInNotConfigured,
    GoogleTokenInvalid,
)
from services.auth.premium import queries as premium_queries
from services.auth.queries import get_user, user_public
from services.auth.rules import AccountLocked, EmailTaken, NoPassword, ResetTokenInvalid
from services.auth.throttle import Throttled
from services.auth.tokens import RefreshRejected, TokenPair
from shared import tokens
from shared.api import ApiError, ok

router = APIRouter()
LOCKED = ApiError(403, "This account is locked; contact support", code="account_locked")
FORGOT_MESSAGE = "If the email is registered, a reset link has been sent."


def weak(exc: WeakPassword) -> ApiError:
    """A policy failure as a 422 the app can show."""
    return ApiError(
        422,
        "Password does not meet the requirements: " + "; ".join(exc.problems),
        details={
            "validation_errors": [
                {"field": "password", "message": p, "type": "password_policy"} for p in exc.problems
            ]
        },
    )


def token_body(pair: TokenPair, user: dict[str, Any] | None = None) -> dict[str, Any]:
    """Sign-in/refresh answer."""
    body: dict[str, Any] = {
        "access_token": pair.access_token,
        "refresh_token": pair.refresh_token,
        "token_type": "Bearer",
    }
    if user is not None:
        body["user"] = user
    return body


async def sign_in(ctx: AuthContext, saved: Saved, *, with_last_login: bool) -> dict[str, Any]:
    """Issue tokens for a saved user and wait until the read model shows the write."""
    user = saved.user
    pair = await ctx.tokens.issue(
        user.id, token_version=user.token_version, scopes=ctx.scopes_for(user.is_admin)
    )
    await ctx.caught_up(saved.position)
    async with ctx.pool.connection() as conn:
        premium = await premium_queries.is_premium(conn, ctx.schema, user.id, ctx.now())
    summary: dict[str, Any] = {
        "id": str(user.id),
        "email": user.email,
        "country": user.profile.get("country"),
        "is_premium": premium,
        "created_at": user.registered_at,
    }
    if with_last_login:
        summary["last_login"] = user.last_login
    return token_body(pair, summary)


@router.post("/auth/register", status_code=201)
async def register(body: RegisterRequest, ctx: Context) -> Response:
    """Create an account and sign it in."""
    profile = {k: v for k, v in jsonable(body).items() if k in ("country", "timezone", "name")}
    try:
        saved = await ctx.run(
            ctx.application.register,
            email=str(body.email),
            password=body.password,
            profile=profile,
            annual_income=body.annual_income,
            now=ctx.now(),
        )
    except EmailTaken as exc:
        raise ApiError(409, "Email is already registered", code="email_taken") from exc
    except WeakPassword as exc:
        raise weak(exc) from exc
    return ok(await sign_in(ctx, saved, with_last_login=False), status=201, message="Registered")


@router.post("/auth/login")
async def login(body: LoginRequest, request: Request, ctx: Context) -> Response:
    """Sign in with email and password (throttled before any hashing)."""
    email, ip = str(body.email), client_ip(request)
    try:
        await ctx.throttle.check(email, ip)
    except Throttled as exc:
        raise ApiError(
            429, "Too many failed attempts; try again later",
            headers={"Retry-After": str(exc.retry_after)},
        ) from exc  # fmt: skip
    try:
        saved = await ctx.run(
            ctx.application.login, email=email, password=body.password, ip=ip, now=ctx.now()
        )
    except InvalidCredentials as exc:
        await ctx.throttle.failed(email, ip)
        raise ApiError(401, "Invalid email or password", code="invalid_credentials") from exc
    except AccountLocked as exc:
        raise LOCKED from exc
    await ctx.throttle.succeeded(email)
    return ok(await sign_in(ctx, saved, with_last_login=True), message="Logged in")


@router.post("/auth/google")
async def google(body: GoogleLoginRequest, request: Request, ctx: Context) -> Response:
    """Sign in with a Google/Firebase ID token (registering on first use)."""
    try:
        identity = await ctx.google.verify(body.id_token)
    except GoogleSignInNotConfigured as exc:
        raise ApiError(503, "Google sign-in is not configured") from exc
    except GoogleCertificatesUnavailable as exc:
        raise ApiError(503, "Google sign-in is temporarily unavailable") from exc
    except GoogleTokenInvalid as exc:
        raise ApiError(401, "Invalid Google ID token", code="invalid_google_token") from exc
    if not identity.email_verified:
        raise ApiError(401, "Google account email is not verified")
    try:
        saved = await ctx.run(
            ctx.application.google_login,
            uid=identity.uid,
            email=identity.email,
            name=identity.name,
            ip=client_ip(request),
            now=ctx.now(),
        )
    except EmailTaken as exc:
        raise ApiError(
            409,
            "An account with this email already exists; sign in with its password",
            code="email_taken",
        ) from exc
    except AccountLocked as exc:
        raise LOCKED from exc
    return ok(await sign_in(ctx, saved, with_last_login=True), message="Logged in")


@router.post("/auth/refresh-token")
async def refresh(body: RefreshRequest, ctx: Context) -> Response:
    """Rotate a refresh token: always a new pair; a reused token kills its family."""
    try:
        claims = tokens.verify(
            ctx.settings.secret_key.get_secret_value(), body.refresh_token, "refresh"
        )
        current = await ctx.token_version(claims.sub)
        pair = await ctx.tokens.rotate(body.refresh_token, current_version=current)
    except (tokens.TokenError, RefreshRejected) as exc:
        raise ApiError(401, "Invalid or expired refresh token") from exc
    return ok(token_body(pair), message="Token refreshed")


@router.post("/auth/logout")
async def logout(body: LogoutRequest, caller: Caller, ctx: Context) -> Response:
    """Kill the access token and its refresh family."""
    await ctx.tokens.revoke_access(caller)
    families = {caller.fam} if caller.fam else set()
    if body.refresh_token:
        try:
            rt = tokens.verify(
                ctx.settings.secret_key.get_secret_value(), body.refresh_token, "refresh"
            )
            if rt.sub == caller.sub and rt.fam:
                families.add(rt.fam)
        except tokens.TokenError:
            pass  # logging out must not fail because the app sent a stale refresh token
    for family in families:
        await ctx.tokens.revoke_family(family)
    return ok({"logout_time": ctx.now()}, message="Logged out")


async def _send_reset(ctx: AuthContext, email: str) -> None:
    token = await ctx.run(
        ctx.application.forgot_password,
        email,
        now=ctx.now(),
        ttl=dt.timedelta(seconds=ctx.settings.reset_token_ttl_seconds),
    )
    if token is not None:
        await ctx.mailer.send(
            email,
            "Reset your MITA password",
            f"Use this link to reset your password: {ctx.settings.reset_link_base}{token}\n"
            "If you did not ask for it, ignore this mail.",
        )


@router.post("/auth/forgot-password")
async def forgot_password(
    body: ForgotPasswordRequest, background: BackgroundTasks, ctx: Context
) -> Response:
    """Mail a reset link; the answer (and its timing) is identical for unknown emails."""
    background.add_task(_send_reset, ctx, str(body.email))
    return ok({"message": FORGOT_MESSAGE}, message=FORGOT_MESSAGE)


@router.get("/auth/verify-reset-token")
async def verify_reset_token(ctx: Context, token: str = Query(max_length=4096)) -> Response:
    """200 ``{valid: true}`` for a usable token; 400 otherwise."""
    if not await ctx.run(ctx.application.reset_token_valid, token, ctx.now()):
        raise ApiError(400, "Invalid or expired reset token", code="invalid_reset_token")
    return ok({"valid": True})


@router.post("/auth/reset-password")
async def reset_password(body: ResetPasswordRequest, ctx: Context) -> Response:
    """Set a new password with a reset token; every session dies."""
    try:
        saved = await ctx.run(
            ctx.application.reset_password, body.token, body.new_password, now=ctx.now()
        )
    except ResetTokenInvalid as exc:
        raise ApiError(400, "Invalid or expired reset token", code="invalid_reset_token") from exc
    except WeakPassword as exc:
        raise weak(exc) from exc
    await ctx.tokens.publish_version(saved.user.id, saved.user.token_version)
    return ok({"reset": True}, message="Password has been reset")


@router.post("/auth/change-password")
async def change_password(body: ChangePasswordRequest, caller: Caller, ctx: Context) -> Response:
    """Change the password; older tokens die, a fresh pair is returned."""
    try:
        saved = await ctx.run(
            ctx.application.change_password,
            caller.sub,
            current=body.current_password,
            new=body.new_password,
        )
    except InvalidCredentials as exc:
        raise ApiError(400, "Current password is incorrect", code="invalid_password") from exc
    except NoPassword as exc:
        raise ApiError(400, "This account signs in with Google", code="no_password") from exc
    except WeakPassword as exc:
        raise weak(exc) from exc
    await ctx.tokens.publish_version(saved.user.id, saved.user.token_version)
    pair = await ctx.tokens.issue(
        saved.user.id,
        token_version=saved.user.token_version,
        scopes=ctx.scopes_for(saved.user.is_admin),
    )
    return ok(token_body(pair), message="Password changed")


@router.delete("/auth/delete-account")
async def delete_account(body: DeleteAccountRequest, caller: Caller, ctx: Context) -> Response:
    """Delete the caller's account after re-checking the password."""
    try:
        saved = await ctx.run(
            ctx.application.delete_account,
            caller.sub,
            password=body.password,
            now=ctx.now(),
            confirmed=body.confirmation is True,
        )
    except InvalidCredentials as exc:
        raise ApiError(400, "Password is incorrect", code="invalid_password") from exc
    await ctx.tokens.publish_version(saved.user.id, saved.user.token_version)
    await ctx.caught_up(saved.position)
    return ok({"deleted": True}, message="Account deleted")


@router.get("/auth/security-status")
async def security_status(caller: Caller, ctx: Context) -> Response:
    """What the security screen shows."""
    user = await ctx.run(ctx.application.user, caller.sub)
    return ok(
        {
            "user_id": str(user.id),
            "provider": user.provider,
            "password_set": user.password_hash is not None,
            "last_login": user.last_login,
            "failed_logins_since_last_login": user.failed_logins,
            "token_version": user.token_version,
            "token_expires_at": caller.exp,
            "scopes": list(caller.scopes),
        }
    )


@router.post("/auth/validate-token")
async def validate_token(body: ValidateTokenRequest, request: Request, ctx: Context) -> Response:
    """Whether an access token would be accepted now (with its subject and scopes)."""
    probe = Request(
        {**request.scope, "headers": [(b"authorization", f"Bearer {body.token}".encode())]}
    )
    try:
        claims = await ctx.authenticator.claims(probe)
    except ApiError as exc:
        if exc.status == 503:
            raise
        return ok({"valid": False})
    return ok(
        {
            "valid": True,
            "user_id": str(claims.sub),
            "expires_at": claims.exp,
            "scopes": list(claims.scopes),
        }
    )


async def _me(ctx: AuthContext, user_id: uuid.UUID) -> dict[str, Any]:
    async with ctx.pool.connection() as conn:
        row = await get_user(conn, ctx.schema, user_id)
        premium = await premium_queries.is_premium(conn, ctx.schema, user_id, ctx.now())
    if row is None:
        raise ApiError(404, "User not found")
    return user_public({**row, "is_premium": premium})


@router.get("/users/me")
async def me(caller: Caller, ctx: Context) -> Response:
    """The caller's profile."""
    return ok(await _me(ctx, caller.sub))


@router.patch("/users/me")
async def update_me(body: UserUpdate, caller: Caller, ctx: Context) -> Response:
    """Change profile fields and settings-screen preferences; answers GET's shape."""
    changes = jsonable(body)
    preferences = {k: v for k, v in changes.items() if k in PREFERENCE_FIELDS}
    profile = {k: v for k, v in changes.items() if k not in PREFERENCE_FIELDS}
    saved = await ctx.run(ctx.application.update_profile, caller.sub, profile, preferences)
    await ctx.caught_up(saved.position)
    return ok(await _me(ctx, caller.sub), message="Profile updated")


@router.get("/internal/token-version/{user_id}")
async def token_version(user_id: uuid.UUID, ctx: Context) -> Response:
    """The current token version (for verifiers whose cache is empty)."""
    return ok({"token_version": await ctx.token_version(user_id)})


@router.get("/internal/sync")
async def sync(
    _: Caller,
    ctx: Context,
    service: Literal["budget"] = "budget",
    position: int = Query(ge=0, le=2**63 - 1),
) -> Response:
    """Wait (bounded) until the users read model has another service's write (e.g. onboarding)."""
    return ok({"caught_up": position == 0 or await ctx.caught_up(position, service)})
