"""The auth service process."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import redis.asyncio as aioredis
from fastapi import FastAPI
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from services.auth.admin_api import router as admin_router
from services.auth.api import router
from services.auth.application import AuthApplication
from services.auth.deps import AuthContext
from services.auth.google import make_google_verifier
from services.auth.mail import make_mailer
from services.auth.passwords import PasswordHasher, check_password
from services.auth.premium.api import router as premium_router
from services.auth.premium.verifier import (
    AppStoreVerifier,
    ByPlatform,
    GooglePlayVerifier,
    LocalVerifier,
    Verifier,
    google_bearer,
    local_key,
)
from services.auth.settings import AuthSettings, load_settings
from services.auth.throttle import LoginThrottle
from services.auth.tokens import TokenService
from shared.identity import Authenticator
from shared.service import build_app


def make_verifier(cfg: AuthSettings, client: httpx.AsyncClient) -> Verifier:
    """The configured receipt verifier."""
    if cfg.iap_verifier == "stores":
        apple = AppStoreVerifier(client, cfg.app_store_verify_url, cfg.app_store_sandbox_url,
                                 cfg.app_store_shared_secret.get_secret_value())  # fmt: skip
        google = GooglePlayVerifier(client, cfg.google_play_api_url, cfg.google_play_package,
                                    google_bearer(cfg.google_play_credentials_file))  # fmt: skip
        return ByPlatform(apple, google)
    return LocalVerifier(local_key(cfg.iap_local_key_secret()))


def create_app(settings: AuthSettings | None = None) -> FastAPI:
    """Build the auth service app."""
    cfg = settings or load_settings()

    @asynccontextmanager
    async def resources(app: FastAPI) -> AsyncIterator[None]:
        application: AuthApplication = app.state.application
        application.configure(PasswordHasher(), check_password, cfg.admin_emails)
        client = aioredis.Redis.from_url(cfg.redis_url, socket_timeout=3, socket_connect_timeout=3)
        pool: AsyncConnectionPool = AsyncConnectionPool(
            cfg.database_url,
            min_size=1,
            max_size=cfg.db_read_pool_max,
            kwargs={"row_factory": dict_row},
            open=False,
        )
        await pool.open()
        store_client = httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=3.0))
        token_service = TokenService(
            client,
            cfg.secret_key.get_secret_value(),
            access_ttl=dt.timedelta(seconds=cfg.access_token_ttl_seconds),
            refresh_ttl=dt.timedelta(seconds=cfg.refresh_token_ttl_seconds),
            prefix=cfg.redis_prefix("auth"),
        )
        ctx = AuthContext(
            settings=cfg,
            application=application,
            tokens=token_service,
            throttle=LoginThrottle(
                client,
                per_account=cfg.login_max_failures_per_account,
                per_ip=cfg.login_max_failures_per_ip,
                window_seconds=cfg.login_failure_window_seconds,
                prefix=cfg.redis_prefix("auth:throttle"),
            ),
            mailer=make_mailer(cfg),
            google=make_google_verifier(cfg),
            pool=pool,
            authenticator=Authenticator(
                cfg.secret_key.get_secret_value(),
                token_service.revocation,
                lambda u: ctx.token_version(u),
            ),
            verifier=make_verifier(cfg, store_client),
        )
        app.state.auth = ctx
        try:
            yield
        finally:
            await pool.close()
            await client.aclose()
            await store_client.aclose()

    return build_app(
        cfg,
        "auth",
        application=AuthApplication.for_database,
        routers=(router, premium_router, admin_router),
        resources=resources,
    )
