"""shared.crypto on real Postgres: sealing and opening, keys made once, shredding for good."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal

import psycopg
import pytest
from cryptography.exceptions import InvalidTag
from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row

from services.ledger.domain import Transaction
from shared import crypto, db
from shared.crypto import ERASED, SEALED, KeyReader, Sealer, reveal, shred
from shared.envelope import EventEnvelope
from shared.replay import drop_schema
from shared.settings import MitaSettings
from shared.store import make_transcoder, to_envelope

SECRET = "a master secret of enough length for the tests"


def test_sealed_values_open_only_with_their_key_and_owner() -> None:
    key, user = os.urandom(32), uuid.uuid4()
    token = crypto.seal(key, user, "Corner Bakery")
    assert token.startswith(SEALED)
    assert "Corner" not in token
    assert crypto.seal(key, user, "Corner Bakery") != token  # a fresh nonce each time
    assert crypto.unseal(key, user, token) == "Corner Bakery"
    assert crypto.unseal(None, user, token) == ERASED  # shredded
    assert crypto.unseal(key, user, "plain") == "plain"  # written before sealing
    with pytest.raises(InvalidTag):
        crypto.unseal(key, uuid.uuid4(), token)  # another user's event: refused
    with pytest.raises(InvalidTag):
        crypto.unseal(os.urandom(32), user, token)
    wrapped = crypto.wrap(crypto.kek_of(SECRET), user, key)
    assert crypto.unwrap(crypto.kek_of(SECRET), user, wrapped) == key
    with pytest.raises(InvalidTag):
        crypto.unwrap(crypto.kek_of(SECRET + "!"), user, wrapped)


def test_transform_reaches_nested_fields_without_touching_the_callers_dicts() -> None:
    profile = {"name": "Ada", "country": "BG"}
    state = {"email": "a@b.c", "profile": profile, "none": None}
    crypto.transform(state, ("profile", "name"), str.upper)
    crypto.transform(state, ("email",), str.upper)
    crypto.transform(state, ("none",), str.upper)
    crypto.transform(state, ("missing", "deep"), str.upper)
    assert state == {"email": "A@B.C", "profile": {"name": "ADA", "country": "BG"}, "none": None}
    assert profile == {"name": "Ada", "country": "BG"}
    assert crypto.owner_of(None, "not a uuid") is None
    assert list(crypto.iter_tokens({"a": SEALED + "x", "b": "y"}, ("a", "b"))) == [("a",)]


@pytest.fixture
async def keys_schema(settings: MitaSettings) -> AsyncIterator[str]:
    """The test's keys schema, dropped afterwards."""
    yield settings.keys_schema()
    conn = await db.connect(settings.database_url)
    try:
        await drop_schema(conn, settings.keys_schema())
    finally:
        await conn.close()


async def test_keys_are_made_once_shredded_for_good_and_readers_follow(
    settings: MitaSettings, conn: AsyncConnection[DictRow], keys_schema: str
) -> None:
    pool = psycopg.connect(settings.database_url, row_factory=dict_row, autocommit=False)
    sealer = Sealer(keys_schema, SECRET, lambda: _tx(pool))
    user, other = uuid.uuid4(), uuid.uuid4()
    key = sealer.key(user, create=True)
    assert key is not None
    assert Sealer(keys_schema, SECRET, lambda: _tx(pool)).key(user, create=True) == key
    assert sealer.key(other, create=False) is None  # never made

    state = {"merchant": "Bakery", "amount": "1.50", "user_id": str(user)}
    sealer.seal_state(("merchant",), user, state)
    assert state["merchant"].startswith(SEALED)
    assert state["amount"] == "1.50"
    event = EventEnvelope.model_validate(
        {
            "event_id": uuid.uuid4(), "type": "ledger.TransactionRecorded", "schema_version": 5,
            "service": "ledger", "aggregate_id": uuid.uuid4(), "aggregate_version": 1,
            "user_id": user, "occurred_at": "2026-12-01T10:00:00Z", "position": 1,
            "payload": dict(state),
        }
    )  # fmt: skip
    reader = KeyReader(keys_schema, SECRET)
    (opened,) = await reveal(conn, reader, [event])
    assert opened.payload["merchant"] == "Bakery"
    assert event.payload["merchant"].startswith(SEALED)  # the original is left as it was
    assert await reveal(conn, None, [event]) == [event]

    async with conn.transaction():
        assert await shred(conn, keys_schema, user) is True
        assert await shred(conn, keys_schema, other) is False  # a tombstone for a keyless one
    # A reader that cached the key keeps it for a while; a fresh one cannot open any more.
    (cached,) = await reveal(conn, reader, [event])
    assert cached.payload["merchant"] == "Bakery"
    (erased,) = await reveal(conn, KeyReader(keys_schema, SECRET), [event])
    assert erased.payload["merchant"] == ERASED
    fresh = Sealer(keys_schema, SECRET, lambda: _tx(pool))
    assert fresh.key(user, create=True) is None  # no new key for a deleted account
    later = {"merchant": "After", "user_id": str(user)}
    fresh.seal_state(("merchant",), user, later)
    assert later["merchant"] == ERASED  # nothing personal is stored for it again
    pool.close()


class _tx:
    """A cursor in a transaction committed on exit (what the write model's pool gives)."""

    def __init__(self, connection: psycopg.Connection[DictRow]) -> None:
        self.connection = connection

    def __enter__(self) -> psycopg.Cursor[DictRow]:
        self.cursor = self.connection.cursor()
        return self.cursor

    def __exit__(self, *exc: object) -> None:
        self.cursor.close()
        if exc[0] is None:
            self.connection.commit()
        else:
            self.connection.rollback()


def test_the_mapper_seals_on_write_and_opens_on_load(
    settings: MitaSettings, keys_schema: str
) -> None:
    connection = psycopg.connect(settings.database_url, row_factory=dict_row)
    try:
        from shared.store import MetaMapper

        mapper = MetaMapper(
            transcoder=make_transcoder(),
            sealer=Sealer(keys_schema, SECRET, lambda: _tx(connection)),
        )
        user = uuid.uuid4()
        tx = Transaction.record(
            transaction_id=uuid.uuid4(), user_id=user, amount=Decimal("4.20"), currency="eur",
            category="food", spent_at=dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC),
            merchant="Corner Bakery", notes="with Bob",
        )  # fmt: skip
        (recorded,) = tx.collect_events()
        stored = mapper.to_stored_event(recorded)
        assert b"Corner Bakery" not in stored.state
        assert b"with Bob" not in stored.state
        assert b"4.20" in stored.state
        loaded = mapper.to_domain_event(stored)
        assert (loaded.merchant, loaded.notes, loaded.amount) == (  # type: ignore[attr-defined]
            "Corner Bakery", "with Bob", Decimal("4.20"))  # fmt: skip
        envelope = to_envelope("ledger", 1, stored)
        assert envelope.payload["merchant"].startswith(SEALED)  # copies leave sealed
    finally:
        connection.close()
