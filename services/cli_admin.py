"""``mita admin grant|revoke EMAIL``: who may use the admin portal and API."""

from __future__ import annotations

import datetime as dt
import getpass
import sys


async def admin_cmd(action: str, email: str) -> int:
    """``mita admin grant|revoke EMAIL``: an event on the account; a revoke kills its tokens."""
    import redis.asyncio as aioredis

    from services.auth.application import AuthApplication
    from services.auth.settings import AuthSettings
    from shared.revocation import RevocationStore

    settings = AuthSettings()
    settings.require_infra()
    app = AuthApplication.from_settings(settings)
    assert isinstance(app, AuthApplication)
    try:
        saved = app.set_admin(
            email, admin=action == "grant", by=f"cli {getpass.getuser()}",
            now=dt.datetime.now(dt.UTC),
        )  # fmt: skip
    except KeyError:
        print(f"no live account with the email {email}", file=sys.stderr)
        return 1
    finally:
        app.close()
    client = aioredis.Redis.from_url(settings.redis_url, socket_timeout=3)
    try:
        store = RevocationStore(client, settings.redis_prefix("auth"))
        await store.set_token_version(saved.user.id, saved.user.token_version)
    finally:
        await client.aclose()
    state = "an admin" if saved.user.is_admin else "not an admin"
    print(f"{email} is {state} (event at position {saved.position})")
    return 0
