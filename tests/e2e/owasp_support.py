"""Shared helpers of the OWASP API Top 10 suite (``test_owasp_*.py``) and ``test_schemathesis.py``.

- ``assert_error``: an answer is the error envelope with a given status, without internals
  (no ``TRACE_MARKERS``);
- ``payload_of``, ``b64``, ``forge``: read a token's claims and re-sign them with the real
  secret, so a forged token differs from a valid one in exactly the respect a test chooses;
- ``ROUTE_ACCESS`` and ``operations``: every documented operation and who may call it;
- ``open_env`` and ``open_limits``: the shared stacks behind the module-scoped ``env`` and
  ``limits`` fixtures that each test module declares for itself;
- ``me_with``, ``register_direct``, ``assert_secured``: small calls and checks several files use.
"""

from __future__ import annotations

import base64
import contextlib
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from shared import tokens
from shared.api import STATUS_CODES
from tests.conftest import Infra
from tests.e2e.conftest import STRONG_PASSWORD, Stack, open_stack, register_admin

ADMIN_EMAIL = "owasp-admin@example.com"
TRACE_MARKERS = ("Traceback", 'File "', '.py"', "psycopg", "redis.exceptions", "httpx.")
JSON = dict[str, Any]
BODY_LIMIT = 2048
METRICS_TOKEN = "m" * 40
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}

PUBLIC = "public"
ANY_SCOPE = "any"
# Every documented operation: PUBLIC, ANY_SCOPE (any valid access token) or the scope it needs.
#: Admin routes that answer a file, not an envelope.
FILE_ROUTES = {("GET", "/api/admin/events/export")}
#: Admin routes whose answer to an admin on a fresh stack is not 200: a rebuild starts (202)
#: and there is nothing to look at yet (404: no rebuild ran, no such dead letter).
ADMIN_ANSWERS: dict[tuple[str, str], tuple[int, ...]] = {
    ("POST", "/api/admin/projections/{name}/rebuild"): (202,),
    ("GET", "/api/admin/projections/{name}/rebuild"): (200, 404),
    ("POST", "/api/admin/dead-letters/{projection}/{service}/{position}/redrive"): (404,),
    # A fresh uuid names no account.
    ("POST", "/api/admin/users/{user_id}/lock"): (404,),
    ("POST", "/api/admin/users/{user_id}/unlock"): (404,),
    ("POST", "/api/admin/users/{user_id}/revoke-tokens"): (404,),
}
ROUTE_ACCESS: dict[tuple[str, str], str] = {
    ("GET", "/"): PUBLIC,
    ("GET", "/health"): PUBLIC,
    ("POST", "/api/auth/register"): PUBLIC,
    ("POST", "/api/auth/login"): PUBLIC,
    ("POST", "/api/auth/google"): PUBLIC,
    ("POST", "/api/auth/refresh-token"): PUBLIC,
    ("POST", "/api/auth/forgot-password"): PUBLIC,
    ("GET", "/api/auth/verify-reset-token"): PUBLIC,
    ("POST", "/api/auth/reset-password"): PUBLIC,
    ("POST", "/api/auth/validate-token"): PUBLIC,
    ("POST", "/api/auth/logout"): ANY_SCOPE,
    ("POST", "/api/auth/change-password"): "write:profile",
    ("DELETE", "/api/auth/delete-account"): "write:profile",
    ("GET", "/api/auth/security-status"): "read:profile",
    ("GET", "/api/users/me"): "read:profile",
    ("PATCH", "/api/users/me"): "write:profile",
    ("GET", "/api/admin/users"): tokens.ADMIN_SCOPE,
    ("GET", "/api/transactions"): "read:transactions",
    ("POST", "/api/transactions"): "write:transactions",
    ("GET", "/api/transactions/merchants/suggestions"): "read:transactions",
    ("GET", "/api/transactions/{transaction_id}"): "read:transactions",
    ("PUT", "/api/transactions/{transaction_id}"): "write:transactions",
    ("DELETE", "/api/transactions/{transaction_id}"): "write:transactions",
    ("POST", "/api/onboarding/submit"): "manage:budget",
    ("GET", "/api/calendar/saved/{year}/{month}"): "read:budget",
    ("GET", "/api/calendar/day/{year}/{month}/{day}"): "read:budget",
    ("POST", "/api/calendar/shell"): "read:budget",
    ("GET", "/api/budget/live_status"): "read:budget",
    ("GET", "/api/budget/daily"): "read:budget",
    ("GET", "/api/budget/remaining"): "read:budget",
    ("POST", "/api/budget/redistribute"): "manage:budget",
    ("GET", "/api/budget/redistribution_history"): "read:budget",
    ("GET", "/api/budget/forecast"): "read:budget",
    ("GET", "/api/dashboard"): "read:budget",
    ("POST", "/api/transactions/check-affordability"): "read:budget",
    ("GET", "/api/transactions/by-date"): "read:transactions",
    ("GET", "/api/transactions/budget-status"): "read:budget",
    ("POST", "/api/calendar/redistribute"): "manage:budget",
    ("GET", "/api/budget/mode"): "read:budget",
    ("PATCH", "/api/budget/mode"): "manage:budget",
    ("GET", "/api/budget/automation_settings"): "read:budget",
    ("PATCH", "/api/budget/automation_settings"): "manage:budget",
    ("GET", "/api/budget/adaptations"): "read:budget",
    ("POST", "/api/budget/auto_adapt"): "manage:budget",
    ("GET", "/api/budget/suggestions"): "read:budget",
    ("POST", "/api/budget/behavioral_allocation"): "read:budget",
    ("POST", "/api/budget/income_based_recommendations"): "read:budget",
    ("GET", "/api/budget/spent"): "read:budget",
    ("POST", "/api/budget/monthly"): "read:budget",
    ("POST", "/api/transactions/receipt"): "write:ocr",
    ("POST", "/api/transactions/receipt/advanced"): "write:ocr",
    ("POST", "/api/transactions/receipt/batch"): "write:ocr",
    ("POST", "/api/ocr/process"): "write:ocr",
    ("GET", "/api/transactions/receipt/status/{job_id}"): "read:ocr",
    ("GET", "/api/ocr/status/{job_id}"): "read:ocr",
    ("GET", "/api/transactions/receipt/{receipt_id}/image"): "read:ocr",
    # The signature in the URL is the permission (an image widget sends no bearer).
    ("GET", "/api/transactions/receipt/{receipt_id}/image/file"): PUBLIC,
    ("DELETE", "/api/transactions/receipt/{receipt_id}/image"): "write:ocr",
    ("POST", "/api/transactions/receipt/validate"): "read:ocr",
    ("POST", "/api/ocr/enhance"): "read:ocr",
    ("POST", "/api/ocr/categorize"): "read:ocr",
    ("GET", "/api/analytics/monthly"): "read:insights",
    ("GET", "/api/analytics/category-breakdown"): "read:insights",
    ("GET", "/api/analytics/trends"): "read:insights",
    ("GET", "/api/analytics/dashboard"): "read:insights",
    ("POST", "/api/analytics/feature-usage"): "write:profile",
    ("POST", "/api/analytics/feature-access-attempt"): "write:profile",
    ("POST", "/api/analytics/paywall-impression"): "write:profile",
    ("GET", "/api/insights"): "read:insights",
    ("GET", "/api/insights/history"): "read:insights",
    ("GET", "/api/insights/income_based_tips"): "read:insights",
    ("POST", "/api/ai/category-suggestions"): "read:insights",
    ("POST", "/api/mood"): "write:profile",
    ("GET", "/api/ai/spending-anomalies"): "read:insights",
    ("GET", "/api/ai/spending-prediction"): "read:insights",
    ("GET", "/api/ai/weekly-insights"): "read:insights",
    ("GET", "/api/ai/savings-optimization"): "read:insights",
    ("GET", "/api/ai/spending-patterns"): "read:insights",
    ("GET", "/api/ai/monthly-report"): "read:insights",
    ("GET", "/api/ai/personalized-feedback"): "read:insights",
    ("POST", "/api/ai/assistant"): "read:insights",
    ("GET", "/api/ai/financial-health-score"): "read:insights",
    ("GET", "/api/ai/profile"): "read:insights",
    ("GET", "/api/ai/budget-optimization"): "read:insights",
    ("POST", "/api/ai/day-status-explanation"): "read:insights",
    ("POST", "/api/ai/snapshot"): "write:profile",
    ("GET", "/api/ai/latest-snapshots"): "read:insights",
    ("GET", "/api/analytics/health-score"): "read:insights",
    ("GET", "/api/analytics/seasonal-patterns"): "read:insights",
    ("GET", "/api/analytics/behavioral-insights"): "read:insights",
    ("GET", "/api/behavior/cluster"): "read:insights",
    ("GET", "/api/behavior/analysis"): "read:insights",
    ("GET", "/api/behavior/patterns"): "read:insights",
    ("GET", "/api/behavior/predictions"): "read:insights",
    ("GET", "/api/behavior/anomalies"): "read:insights",
    ("GET", "/api/behavior/recommendations"): "read:insights",
    ("GET", "/api/behavior/triggers"): "read:insights",
    ("GET", "/api/behavior/warnings"): "read:insights",
    ("GET", "/api/behavior/progress"): "read:insights",
    ("GET", "/api/behavior/category/{category}"): "read:insights",
    ("GET", "/api/goals"): "read:goals",
    ("POST", "/api/installments/calculator"): "read:budget",
    ("GET", "/api/installments/profile"): "read:budget",
    ("POST", "/api/errors/report"): PUBLIC,
    ("GET", "/api/habits"): "read:budget",
    ("POST", "/api/habits"): "manage:budget",
    ("PATCH", "/api/habits/{habit_id}"): "manage:budget",
    ("DELETE", "/api/habits/{habit_id}"): "manage:budget",
    ("POST", "/api/habits/{habit_id}/complete"): "manage:budget",
    ("DELETE", "/api/habits/{habit_id}/complete"): "manage:budget",
    ("GET", "/api/habits/{habit_id}/progress"): "read:budget",
    ("GET", "/api/notifications/list"): "read:notifications",
    ("GET", "/api/notifications/unread-count"): "read:notifications",
    ("GET", "/api/notifications/preferences"): "read:notifications",
    ("PUT", "/api/notifications/preferences"): "write:notifications",
    ("POST", "/api/notifications/mark-all-read"): "write:notifications",
    ("POST", "/api/notifications/register-device"): "write:notifications",
    ("PATCH", "/api/notifications/update-device"): "write:notifications",
    ("DELETE", "/api/notifications/unregister-device"): "write:notifications",
    ("GET", "/api/notifications/{notification_id}"): "read:notifications",
    ("POST", "/api/notifications/{notification_id}/mark-read"): "write:notifications",
    ("DELETE", "/api/notifications/{notification_id}"): "write:notifications",
    ("POST", "/api/iap/validate"): "write:profile",
    ("GET", "/api/users/{user_id}/premium-status"): "read:profile",
    ("GET", "/api/users/{user_id}/premium-features"): "read:profile",
    ("GET", "/api/users/{user_id}/subscription-history"): "read:profile",
    ("PUT", "/api/subscriptions/{subscription_id}/status"): "write:profile",
    ("GET", "/api/referral/code"): "read:profile",
    ("GET", "/api/challenge/available"): "read:budget",
    ("GET", "/api/challenge/active"): "read:budget",
    ("GET", "/api/challenge/stats"): "read:budget",
    ("GET", "/api/challenge/leaderboard"): "read:budget",
    ("GET", "/api/challenge/{challenge_id}/progress"): "read:budget",
    ("PATCH", "/api/challenge/{challenge_id}/progress"): "manage:budget",
    ("POST", "/api/challenge/{challenge_id}/join"): "manage:budget",
    ("POST", "/api/challenge/{challenge_id}/leave"): "manage:budget",
    ("POST", "/api/financial/dynamic-thresholds"): "read:budget",
    ("POST", "/api/financial/housing-affordability"): "read:budget",
    ("GET", "/api/financial/installment-evaluate"): "read:budget",
    ("POST", "/api/installments/profile"): "manage:budget",
    ("GET", "/api/installments/achievements"): "read:budget",
    ("GET", "/api/installments/calendar/{year}/{month}"): "read:budget",
    ("POST", "/api/installments"): "manage:budget",
    ("GET", "/api/installments"): "read:budget",
    ("GET", "/api/installments/{installment_id}"): "read:budget",
    ("PATCH", "/api/installments/{installment_id}"): "manage:budget",
    ("DELETE", "/api/installments/{installment_id}"): "manage:budget",
    ("GET", "/api/ai/goal-analysis"): "read:goals",
    ("POST", "/api/goals"): "write:goals",
    ("GET", "/api/goals/statistics"): "read:goals",
    ("GET", "/api/goals/smart_recommendations"): "read:goals",
    ("GET", "/api/goals/adjustments/suggestions"): "read:goals",
    ("GET", "/api/goals/opportunities/detect"): "read:goals",
    ("GET", "/api/goals/income_based_suggestions"): "read:goals",
    ("GET", "/api/goals/{goal_id}"): "read:goals",
    ("GET", "/api/goals/{goal_id}/health"): "read:goals",
    ("PATCH", "/api/goals/{goal_id}"): "write:goals",
    ("DELETE", "/api/goals/{goal_id}"): "write:goals",
    ("POST", "/api/goals/{goal_id}/add_savings"): "write:goals",
    ("POST", "/api/goals/{goal_id}/complete"): "write:goals",
    ("POST", "/api/goals/{goal_id}/pause"): "write:goals",
    ("POST", "/api/goals/{goal_id}/resume"): "write:goals",
    ("POST", "/api/goals/{goal_id}/cancel"): "write:goals",
    ("POST", "/api/behavior/calendar"): "read:insights",
    ("POST", "/api/behavior/expense_suggestions"): "read:insights",
    ("GET", "/api/behavior/preferences"): "read:insights",
    ("PATCH", "/api/behavior/preferences"): "write:profile",
    ("GET", "/api/behavior/notification_settings"): "read:insights",
    ("PATCH", "/api/behavior/notification_settings"): "write:profile",
    ("GET", "/api/cohort/income_classification"): "read:insights",
    ("GET", "/api/cohort/peer_comparison"): "read:insights",
    ("GET", "/api/cohort/insights"): "read:insights",
    ("GET", "/api/analytics/feature-usage/{user_id}/{feature}"): "read:insights",
    ("GET", "/api/admin/insights"): tokens.ADMIN_SCOPE,
    ("GET", "/api/admin/users/{user_id}/budget"): tokens.ADMIN_SCOPE,
    ("POST", "/api/admin/users/{user_id}/lock"): tokens.ADMIN_SCOPE,
    ("POST", "/api/admin/users/{user_id}/unlock"): tokens.ADMIN_SCOPE,
    ("POST", "/api/admin/users/{user_id}/revoke-tokens"): tokens.ADMIN_SCOPE,
    ("GET", "/api/admin/events/streams"): tokens.ADMIN_SCOPE,
    ("GET", "/api/admin/events/tail"): tokens.ADMIN_SCOPE,
    ("GET", "/api/admin/events/export"): tokens.ADMIN_SCOPE,
    ("POST", "/api/admin/events/replay"): tokens.ADMIN_SCOPE,
    ("DELETE", "/api/admin/events/replay/{name}"): tokens.ADMIN_SCOPE,
    ("GET", "/api/admin/projections"): tokens.ADMIN_SCOPE,
    ("POST", "/api/admin/projections/{name}/rebuild"): tokens.ADMIN_SCOPE,
    ("GET", "/api/admin/projections/{name}/rebuild"): tokens.ADMIN_SCOPE,
    ("GET", "/api/admin/dead-letters"): tokens.ADMIN_SCOPE,
    ("POST", "/api/admin/dead-letters/{projection}/{service}/{position}/redrive"): (
        tokens.ADMIN_SCOPE
    ),
}


def assert_error(answer: httpx.Response, status: int, code: str | None = None) -> JSON:
    """The answer is ``status`` in the error envelope, without internals; return the body."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    body: JSON = answer.json()
    assert body["success"] is False
    assert isinstance(body["detail"], str)
    assert body["detail"]
    error = body["error"]
    assert error["code"] == (code or STATUS_CODES[status])
    assert re.fullmatch(r"[0-9a-f]{32}", error["error_id"]), error
    assert error["message"] == body["detail"]
    assert isinstance(error["details"], dict)
    for marker in TRACE_MARKERS:
        assert marker not in answer.text, answer.text
    if status == 401:
        assert answer.headers["www-authenticate"] == "Bearer"
    if status == 429:
        assert int(answer.headers["retry-after"]) > 0
    return body


def assert_secured(answer: httpx.Response) -> None:
    """The security headers every response carries."""
    for name, value in SECURITY_HEADERS.items():
        assert answer.headers.get(name) == value, (name, answer.headers)
    assert answer.headers["strict-transport-security"].startswith("max-age=")
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]


def payload_of(token: str) -> JSON:
    """A token's claims, unverified (the test's own token: only to copy and alter)."""
    claims: JSON = jwt.decode(token, options={"verify_signature": False})
    return claims


def b64(data: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(stack: Stack, template: str, *, drop: str | None = None, **changes: Any) -> str:
    """Sign with the real secret: ``template``'s claims, new jti, ``changes``, minus ``drop``."""
    payload = {**payload_of(template), "jti": uuid.uuid4().hex, **changes}
    if drop is not None:
        del payload[drop]
    secret = stack.gateway_settings.secret_key.get_secret_value()
    return jwt.encode(payload, secret, algorithm=tokens.ALGORITHM)


def operations(openapi: JSON) -> set[tuple[str, str]]:
    """(METHOD, path) of every documented operation."""
    verbs = {"get", "post", "put", "patch", "delete"}
    return {(m.upper(), p) for p, item in openapi["paths"].items() for m in item if m in verbs}


async def me_with(stack: Stack, token: str) -> httpx.Response:
    """GET /api/users/me with ``token`` as the bearer."""
    return await stack.client.get("/api/users/me", headers=stack.bearer(token))


async def register_direct(stack: Stack) -> JSON:
    """Register on the auth service itself (past the gateway's rate limits and Redis)."""
    email = f"d{uuid.uuid4().hex[:12]}@example.com"
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(stack.auth), base_url="http://auth"
    ) as auth:
        answer = await auth.post(
            "/auth/register", json={"email": email, "password": STRONG_PASSWORD}
        )
    assert answer.status_code == 201, answer.text
    data: JSON = answer.json()["data"]
    return data


@dataclass
class Env:
    """A shared stack whose auth service treats ADMIN_EMAIL as an admin."""

    stack: Stack
    admin: JSON


@contextlib.asynccontextmanager
async def open_env(infra: Infra) -> AsyncIterator[Env]:
    """A stack with high rate limits and a registered admin (every test registers its own users)."""
    async with open_stack(
        infra,
        auth={"admin_emails": [ADMIN_EMAIL]},
        ocr={"ocr_uploads_per_hour": 10_000},
        insights=True,
        notifications=True,
        ops=True,
        rate_limit_per_minute=10_000,
        auth_rate_limit_per_minute=10_000,
    ) as stack:
        yield Env(stack, await register_admin(stack, ADMIN_EMAIL))


@dataclass
class Limits:
    """A stack with a small body limit, a metrics token and an admin."""

    stack: Stack
    admin_token: str


@contextlib.asynccontextmanager
async def open_limits(infra: Infra) -> AsyncIterator[Limits]:
    """A stack with BODY_LIMIT, METRICS_TOKEN, high rate limits and a registered admin."""
    async with open_stack(
        infra,
        auth={"admin_emails": [ADMIN_EMAIL]},
        max_body_bytes=BODY_LIMIT,
        metrics_token=METRICS_TOKEN,
        rate_limit_per_minute=10_000,
        auth_rate_limit_per_minute=10_000,
    ) as stack:
        yield Limits(stack, (await register_admin(stack, ADMIN_EMAIL))["access_token"])
