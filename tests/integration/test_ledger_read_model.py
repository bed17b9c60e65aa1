"""Ledger read models on Postgres: v3 fields, idempotency keys, users from auth, queries."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import hypothesis
import pytest
from hypothesis import given
from hypothesis import strategies as st
from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from contracts.ledger import CATEGORIES
from services.auth.application import AuthApplication
from services.auth.passwords import check_password
from services.ledger.projections import TransactionsProjection, UsersProjection
from services.ledger.queries import (
    get_transaction,
    list_transactions,
    merchant_suggestions,
    user_defaults,
)
from shared.rebuild import rebuild
from shared.settings import MitaSettings
from tests.helpers import fold, ledger_app, read_model
from tests.integration.test_auth_users_projection import FastHasher

DAY = dt.datetime(2024, 3, 10, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("in_database", [True, False], ids=["sql-fold", "event-stream"])
async def test_keys_and_object_fields_rebuild_to_the_fold(
    settings: MitaSettings, conn: AsyncConnection[DictRow], in_database: bool
) -> None:
    """Keyed creates (with replays), every v3 field and their amends fold identically."""
    app = ledger_app(settings)
    user = uuid.uuid4()
    ids: list[uuid.UUID] = []
    for n in range(12):
        saved = app.record(
            user_id=user,
            amount=Decimal(n + 1),
            category="coffee",
            spent_at=DAY + dt.timedelta(hours=n),
            merchant=f"M{n % 3}",
            location="Plovdiv" if n % 2 else None,
            tags=["x", str(n)],
            notes="n" if n % 4 == 0 else None,
            is_recurring=n % 5 == 0,
            goal_id=uuid.UUID(int=n) if n % 3 == 0 else None,
            idempotency_key=f"key-{n % 8}",  # keys 0..3 come back: four replays
        )
        ids.append(saved.transaction.id)
    ids = list(dict.fromkeys(ids))
    assert len(ids) == 8
    app.amend(ids[0], user_id=user, tags=[], location="Ruse", is_recurring=True)
    app.amend(ids[1], user_id=user, goal_id=uuid.UUID(int=99), notes="later")
    app.delete(ids[2], user_id=user)
    projection = TransactionsProjection(settings.schema_for("ledger"))
    count = await rebuild(conn, settings, projection, in_database=in_database)
    assert count == app.head_position() == 8 * 2 + 3  # a key event beside each transaction
    assert await read_model(conn, projection.schema) == fold(app, ids)

    schema = projection.schema
    row = await get_transaction(conn, schema, user, ids[0])
    assert row is not None
    assert (row["tags"], row["location"], row["is_recurring"]) == ([], "Ruse", True)
    assert await get_transaction(conn, schema, user, ids[2]) is None  # deleted
    assert await get_transaction(conn, schema, uuid.uuid4(), ids[0]) is None  # not the owner
    window = await list_transactions(
        conn, schema, user, start=DAY, end=DAY + dt.timedelta(hours=4), skip=1, limit=2
    )
    assert [r["id"] for r in window] == [ids[1], ids[0]]  # hour 2 was deleted; newest first
    assert await list_transactions(conn, schema, user, category="food") == []
    # M0 and M1 are used three times each; M1 most recently (hour 7).
    assert await merchant_suggestions(conn, schema, user, "m", 2) == ["M1", "M0"]
    assert await merchant_suggestions(conn, schema, user, "%", 10) == []


async def test_queries_before_the_projection_started(
    settings: MitaSettings, conn: AsyncConnection[DictRow]
) -> None:
    """No read-model tables yet: the queries answer empty instead of failing."""
    schema = settings.schema_for("ledger")
    someone = uuid.uuid4()
    assert await list_transactions(conn, schema, someone) == []
    assert await get_transaction(conn, schema, someone, uuid.uuid4()) is None
    assert await merchant_suggestions(conn, schema, someone, "", 5) == []
    assert await user_defaults(conn, schema, someone) == (None, None)


@pytest.fixture
async def auth(
    settings: MitaSettings, conn: AsyncConnection[DictRow]
) -> AsyncIterator[AuthApplication]:
    """The auth write model in this test's schema (its events are the source)."""
    schema = settings.schema_for("auth")
    application = AuthApplication.for_database(settings.database_url, schema)
    assert isinstance(application, AuthApplication)
    application.configure(FastHasher(), check_password)
    yield application
    application.close()
    await conn.rollback()
    await conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
    await conn.commit()


async def test_ledger_users_follow_auth_profiles(
    settings: MitaSettings, conn: AsyncConnection[DictRow], auth: AuthApplication
) -> None:
    """Currency and timezone from registration and profile updates; deletion forgets."""
    now = dt.datetime.now(dt.UTC)
    password = "correct horse battery"

    def register(email: str, **profile: str) -> uuid.UUID:
        saved = auth.register(
            email=email, password=password, profile=profile, annual_income=None, now=now
        )
        return saved.user.id

    sofia = register("sofia@example.com", timezone="Europe/Sofia")
    plain = register("plain@example.com")
    gone = register("gone@example.com", timezone="Asia/Tokyo")
    auth.update_profile(sofia, {"currency": "EUR", "name": "S"}, {})
    auth.update_profile(sofia, {"timezone": "Europe/Berlin"}, {})
    auth.delete_account(gone, password=password, now=now)
    projection = UsersProjection(settings.schema_for("ledger"))
    assert await rebuild(conn, settings, projection) == auth.head_position()
    schema = projection.schema
    assert await user_defaults(conn, schema, sofia) == ("EUR", "Europe/Berlin")
    assert await user_defaults(conn, schema, plain) == (None, None)
    assert await user_defaults(conn, schema, gone) == (None, None)
    # Replaying an older event changes nothing (the version only moves forward).
    cur = await conn.execute(
        sql.SQL("SELECT version FROM {}.users WHERE user_id = %s").format(sql.Identifier(schema)),
        (sofia,),
    )
    row = await cur.fetchone()
    await conn.commit()
    assert row is not None
    assert row["version"] == 3


FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "amount": st.integers(1, 10**6).map(lambda c: Decimal(c).scaleb(-2)),
        "category": st.sampled_from(sorted(CATEGORIES)),
        "merchant": st.text("abc ", max_size=5),
        "location": st.text("xyz", max_size=4),
        "tags": st.lists(st.sampled_from(["a", "b", "c"]), max_size=3),
        "notes": st.text("no", max_size=3),
        "is_recurring": st.booleans(),
        "goal_id": st.uuids(),
        "confidence_score": st.integers(0, 1000).map(lambda c: Decimal(c).scaleb(-3)),
    },
)


@hypothesis.settings(
    max_examples=15, deadline=None, derandomize=True,
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture],
)  # fmt: skip
@given(ops=st.lists(st.tuples(st.sampled_from(["record", "amend", "delete"]), FIELDS), max_size=12))
async def test_the_sql_fold_equals_the_event_fold_on_any_history(
    settings: MitaSettings,
    conn: AsyncConnection[DictRow],
    ops: list[tuple[str, dict[str, Any]]],
) -> None:
    """One definition of the fold: the in-database rebuild, the streamed rebuild and the write
    model agree on random histories of every field."""
    own = MitaSettings.namespaced(
        f"{settings.schema_prefix}{uuid.uuid4().hex[:6]}", settings.database_url,
        settings.kafka_bootstrap, settings.redis_url,
    )  # fmt: skip
    app = ledger_app(own)
    user, ids = uuid.uuid4(), list[uuid.UUID]()
    try:
        for n, (kind, fields) in enumerate(ops):
            live = [i for i in ids if not app.transaction(i).deleted]
            if kind == "record" or not live:
                base = {"amount": Decimal("1.00"), "category": "food", **fields}
                saved = app.record(user_id=user, spent_at=DAY + dt.timedelta(hours=n), **base)
                ids.append(saved.transaction.id)
            elif kind == "amend":
                app.amend(live[n % len(live)], user_id=user, **fields)
            else:
                app.delete(live[n % len(live)], user_id=user)
        projection = TransactionsProjection(own.schema_for("ledger"))
        expected = fold(app, ids)
        for in_database in (True, False):
            await rebuild(conn, own, projection, in_database=in_database)
            assert await read_model(conn, projection.schema) == expected, in_database
    finally:
        app.close()
        await conn.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                sql.Identifier(own.schema_for("ledger"))
            )
        )
        await conn.commit()
