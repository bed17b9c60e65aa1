"""UsersProjection rebuilt from a real AuthApplication on Postgres, read through auth.queries."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from services.auth.application import AuthApplication
from services.auth.passwords import check_password
from services.auth.projections import PROFILE_COLUMNS, UsersProjection
from services.auth.queries import get_user, list_users, profile_completion, user_public
from services.budget.application import BudgetApplication
from shared.projections import apply_batch
from shared.rebuild import rebuild, reset_read_model
from shared.relay import read_stored
from shared.settings import MitaSettings
from shared.sources import SourceTable
from shared.store import to_envelope

T0 = dt.datetime(2024, 1, 1, 8, 0, tzinfo=dt.UTC)
PASSWORD = "correct horse battery"


class FastHasher:
    """A cheap Hasher (argon2 is covered by the unit tests)."""

    def hash(self, password: str) -> str:
        return f"fast${password}"

    def verify(self, password_hash: str, password: str) -> bool:
        return password_hash == f"fast${password}"

    def needs_rehash(self, password_hash: str) -> bool:
        return False

    def dummy_verify(self, password: str) -> None:
        return None


@pytest.fixture
async def app(
    settings: MitaSettings, conn: AsyncConnection[DictRow]
) -> AsyncIterator[AuthApplication]:
    """The auth write model on this test's own Postgres schema (dropped afterwards)."""
    schema = settings.schema_for("auth")
    application = AuthApplication.for_database(settings.database_url, schema)
    assert isinstance(application, AuthApplication)
    application.configure(FastHasher(), check_password, admin_emails=["root@mita.io"])
    yield application
    application.close()
    await conn.rollback()
    await conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
    await conn.commit()


async def project(conn: AsyncConnection[DictRow], settings: MitaSettings) -> int:
    """Rebuild the users read model from the store; return how many events it replayed."""
    return await rebuild(conn, settings, UsersProjection(settings.schema_for("auth")))


async def raw_row(
    conn: AsyncConnection[DictRow], settings: MitaSettings, user_id: uuid.UUID
) -> dict[str, Any]:
    """The users row whatever its deleted flag."""
    cur = await conn.execute(
        sql.SQL("SELECT * FROM {}.users WHERE id = %s").format(
            sql.Identifier(settings.schema_for("auth"))
        ),
        (user_id,),
    )
    row = await cur.fetchone()
    await conn.commit()
    assert row is not None
    return dict(row)


async def test_profile_preferences_login_and_queries(
    app: AuthApplication, conn: AsyncConnection[DictRow], settings: MitaSettings
) -> None:
    schema = settings.schema_for("auth")
    ada = app.register(
        email="Ada@Example.com",
        password=PASSWORD,
        profile={"name": "Ada", "country": "UK", "timezone": "Europe/London"},
        annual_income=Decimal("1000.06"),
        now=T0,
    ).user
    login_at = T0 + dt.timedelta(hours=2)
    app.login(email="ada@example.com", password=PASSWORD, ip="10.0.0.1", now=login_at)
    app.update_profile(
        ada.id,
        {"currency": "EUR", "savings_goal": Decimal("250.50"), "dark_mode_enabled": True},
        {"dark_mode": True, "language": "en"},
    )
    app.update_profile(ada.id, {"name": "Ada L."}, {"language": "de", "auto_sync": False})
    replayed = await project(conn, settings)
    assert replayed == app.head_position() == 7  # the email index event is replayed too

    row = await get_user(conn, schema, ada.id)
    assert row is not None
    assert row["email"] == "ada@example.com"
    assert (row["provider"], row["is_admin"], row["deleted"]) == ("password", False, False)
    assert (row["name"], row["country"], row["timezone"]) == ("Ada L.", "UK", "Europe/London")
    assert row["income"] == Decimal("83.34")
    assert row["annual_income"] == Decimal("1000.06")
    assert row["savings_goal"] == Decimal("250.50")
    assert (row["currency"], row["dark_mode_enabled"]) == ("EUR", True)
    assert row["notifications_enabled"] is None
    assert row["preferences"] == {"dark_mode": True, "language": "de", "auto_sync": False}
    assert row["created_at"] == T0
    assert row["last_login"] == login_at
    # registered, logged in, profile, preferences, profile, preferences
    assert row["version"] == app.user(ada.id).version == 6

    public = user_public(row)
    assert public["id"] == str(ada.id)
    assert public["member_since"] == public["created_at"] == T0
    assert public["income"] == Decimal("83.34")
    assert public["preferences"] == row["preferences"]
    assert (public["has_onboarded"], public["email_verified"], public["is_premium"]) == (
        False,
        False,
        False,
    )
    assert set(PROFILE_COLUMNS) <= set(public)
    # name, country, timezone, income, savings_goal, currency, dark_mode_enabled: 7 of 10.
    assert profile_completion(row) == public["profile_completion"] == 70


async def test_deleted_google_and_admin_users(
    app: AuthApplication, conn: AsyncConnection[DictRow], settings: MitaSettings
) -> None:
    schema = settings.schema_for("auth")
    gone = app.register(
        email="gone@example.com", password=PASSWORD, profile={}, annual_income=None, now=T0
    ).user
    app.delete_account(gone.id, password=PASSWORD, now=T0 + dt.timedelta(minutes=1))
    again = app.register(
        email="gone@example.com",
        password=PASSWORD,
        profile={},
        annual_income=None,
        now=T0 + dt.timedelta(minutes=2),
    ).user
    google = app.google_login(
        uid="g-1", email="g@example.com", name="Gee", ip=None, now=T0 + dt.timedelta(minutes=3)
    ).user
    root = app.register(
        email="ROOT@mita.io",
        password=PASSWORD,
        profile={"country": "NL"},
        annual_income=None,
        now=T0 + dt.timedelta(minutes=4),
    ).user
    await project(conn, settings)

    dead = await raw_row(conn, settings, gone.id)
    assert dead["deleted"] is True
    assert (dead["email"], dead["name"]) == ("", None)  # nothing personal stays on its row
    assert await get_user(conn, schema, gone.id) is None

    fresh = await get_user(conn, schema, again.id)
    assert fresh is not None
    assert (fresh["email"], fresh["deleted"], fresh["last_login"]) == (
        "gone@example.com",
        False,
        None,
    )
    assert profile_completion(fresh) == 0

    g = await get_user(conn, schema, google.id)
    assert g is not None
    assert (g["provider"], g["name"], g["annual_income"]) == ("google", "Gee", None)
    assert g["last_login"] == T0 + dt.timedelta(minutes=3)

    admin = await get_user(conn, schema, root.id)
    assert admin is not None
    assert (admin["is_admin"], admin["country"]) == (True, "NL")

    rows, total = await list_users(conn, schema, limit=10, offset=0)
    assert total == 3
    assert [r["id"] for r in rows] == [root.id, google.id, again.id]  # newest first
    assert set(rows[0]) == {
        "id", "email", "name", "country", "created_at", "last_login", "is_admin", "is_premium",
        "locked",
    }  # fmt: skip
    assert [r["id"] for r in (await list_users(conn, schema, limit=10, offset=0,
                                               search="G@EXAMPLE"))[0]] == [google.id]  # fmt: skip
    page, total = await list_users(conn, schema, limit=1, offset=1)
    assert ([r["id"] for r in page], total) == ([google.id], 3)
    empty, total = await list_users(conn, schema, limit=5, offset=10)
    assert (empty, total) == ([], 3)


async def test_rebuild_is_repeatable_and_sees_new_events(
    app: AuthApplication, conn: AsyncConnection[DictRow], settings: MitaSettings
) -> None:
    schema = settings.schema_for("auth")
    user = app.register(
        email="r@example.com", password=PASSWORD, profile={}, annual_income=None, now=T0
    ).user
    assert await project(conn, settings) == 2
    first = await get_user(conn, schema, user.id)
    app.update_profile(user.id, {"name": "Later"}, {})
    assert await project(conn, settings) == 3
    second = await get_user(conn, schema, user.id)
    assert first is not None
    assert second is not None
    assert (first["name"], second["name"]) == (None, "Later")
    assert await project(conn, settings) == 3
    assert await get_user(conn, schema, user.id) == second
    assert (await list_users(conn, schema, limit=10, offset=0))[1] == 1


def test_profile_completion_and_public_defaults() -> None:
    base = {"id": uuid.uuid4(), "email": "x@example.com", "created_at": T0}
    assert profile_completion(base) == 0
    assert profile_completion({**base, "name": "", "country": None}) == 0
    filled = {k: "x" for k in PROFILE_COLUMNS}
    assert profile_completion({**base, **filled}) == 100
    assert profile_completion({**base, "name": "A", "dark_mode_enabled": False}) == 20
    public = user_public(base)
    assert public["preferences"] == {}
    assert public["name"] is None
    assert public["profile_completion"] == 0
    assert public["is_premium"] is False


async def test_numeric_preference_stays_a_number(
    app: AuthApplication, conn: AsyncConnection[DictRow], settings: MitaSettings
) -> None:
    user = app.register(
        email="p@example.com", password=PASSWORD, profile={}, annual_income=None, now=T0
    ).user
    app.update_profile(user.id, {}, {"budget_alert_threshold": Decimal("80.5")})
    await project(conn, settings)
    row = await get_user(conn, settings.schema_for("auth"), user.id)
    assert row is not None
    value = user_public(row)["preferences"]["budget_alert_threshold"]
    assert isinstance(value, int | float | Decimal)
    assert Decimal(str(value)) == Decimal("80.5")


async def test_has_onboarded_comes_from_the_budget_in_either_order(
    app: AuthApplication, conn: AsyncConnection[DictRow], settings: MitaSettings
) -> None:
    """The budget's OnboardingSubmitted sets has_onboarded, before or after the registration."""
    schema = settings.schema_for("auth")
    budget = BudgetApplication.for_database(settings.database_url, settings.schema_for("budget"))
    assert isinstance(budget, BudgetApplication)
    users = [
        app.register(
            email=f"{n}@example.com", password=PASSWORD, profile={}, annual_income=None, now=T0
        ).user.id
        for n in ("onboarded", "not-yet")
    ]
    answers = {"income": {"monthly_income": "3000.00"}}
    budget.submit_onboarding(users[0], answers, "UTC", dt.date(2026, 3, 10))
    await project(conn, settings)  # a rebuild replays auth, then budget

    async def flags() -> list[bool]:
        return [bool((await raw_row(conn, settings, u))["has_onboarded"]) for u in users]

    assert await flags() == [True, False]
    projection = UsersProjection(schema)
    await reset_read_model(conn, projection)
    stored = {
        service: await read_stored(conn, SourceTable(service, settings.schema_for(service)), 0, 99)
        for service in ("auth", "budget")
    }
    auth_events, budget_events = (
        [to_envelope(service, pos, event) for pos, event in stored[service]]
        for service in ("auth", "budget")
    )
    await conn.commit()
    assert await apply_batch(conn, projection, budget_events + auth_events + budget_events) == (
        len(budget_events) + len(auth_events)
    )
    assert await flags() == [True, False]
    public = await get_user(conn, schema, users[0])
    assert public is not None
    assert user_public(public)["has_onboarded"] is True
