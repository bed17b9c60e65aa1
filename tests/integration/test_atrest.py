"""Event payloads encrypted at rest (shared.atrest) on real Postgres: no plaintext stored,
every reader opens them, old keys keep reading after a rotation, plaintext history stays."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from services.ledger.application import LedgerApplication
from services.ledger.domain import Transaction
from shared import atrest
from shared.cipherkeys import CipherKeyError, key_id, new_key
from shared.relay import read_stored
from shared.settings import MitaSettings
from shared.sources import SourceTable
from shared.store import to_envelope
from tests.helpers import drop_schemas


@pytest.fixture
async def schema(settings: MitaSettings) -> AsyncIterator[str]:
    """The ledger schema of this test, dropped afterwards."""
    yield settings.schema_for("ledger")
    await drop_schemas(settings, "ledger", "keys")


def _app(settings: MitaSettings, *cipher_keys: str) -> LedgerApplication:
    app = LedgerApplication.for_database(
        settings.database_url,
        settings.schema_for("ledger"),
        keys=(settings.keys_schema(), "a master secret long enough for the tests"),
        cipher_keys=cipher_keys,
    )
    assert isinstance(app, LedgerApplication)
    return app


def _record(app: LedgerApplication, user: uuid.UUID, merchant: str) -> uuid.UUID:
    tx = Transaction.record(
        transaction_id=uuid.uuid4(),
        user_id=user,
        amount=Decimal("12.34"),
        currency="usd",
        category="food",
        spent_at=dt.datetime.now(dt.UTC),
        merchant=merchant,
        notes=f"{merchant} notes",
    )
    app.save(tx)
    return tx.id


async def _states(conn: AsyncConnection[DictRow], schema: str) -> list[bytes]:
    async with conn.transaction():  # ended, so the schema can be dropped afterwards
        cur = await conn.execute(
            sql.SQL("SELECT state FROM {} ORDER BY notification_id").format(
                SourceTable("ledger", schema).ident()
            )
        )
        return [bytes(r["state"]) for r in await cur.fetchall()]


async def test_stored_bytes_hold_no_plaintext_and_every_reader_opens_them(
    settings: MitaSettings, conn: AsyncConnection[DictRow], schema: str
) -> None:
    key, user = new_key(), uuid.uuid4()
    marker = f"MARKER-{uuid.uuid4().hex}"
    app = _app(settings, key)
    try:
        tx_id = _record(app, user, marker)
        app.amend_transaction(tx_id, user_id=user, amount=Decimal("9.99"), category="travel")
        stored = await _states(conn, schema)
        assert len(stored) == 2
        for state in stored:
            assert atrest.is_sealed(state)
            assert state[len(atrest.MARK) :][:8] == key_id(key)
            for plain in (marker.encode(), b"12.34", b"9.99", b"travel", str(user).encode()):
                assert plain not in state
        loaded = app.repository.get(tx_id)  # the write model decrypts its own history
        assert isinstance(loaded, Transaction)
        assert (loaded.amount, loaded.merchant) == (Decimal("9.99"), marker)
        async with conn.transaction():
            rows = await read_stored(conn, SourceTable("ledger", schema), 0, 10)
        envelopes = [to_envelope("ledger", pos, event) for pos, event in rows]
        assert envelopes[0].payload["merchant"].startswith("enc:v1:")  # sealed per user too
        assert envelopes[0].payload["amount"] == "12.34"
        assert envelopes[1].payload["amount"] == "9.99"
        assert envelopes[0].user_id == user
    finally:
        app.close()


async def test_rotation_keeps_old_events_readable_and_plaintext_history_stays(
    settings: MitaSettings, conn: AsyncConnection[DictRow], schema: str
) -> None:
    user, old, new = uuid.uuid4(), new_key(), new_key()
    plain_app = LedgerApplication.for_database(settings.database_url, schema)
    first = _record(plain_app, user, "before encryption")  # type: ignore[arg-type]
    plain_app.close()
    old_app = _app(settings, old)
    second = _record(old_app, user, "under the old key")
    old_app.close()
    rotated = _app(settings, new, old)
    try:
        third = _record(rotated, user, "under the new key")
        states = await _states(conn, schema)
        assert not atrest.is_sealed(states[0])
        assert b"before encryption" in states[0]
        ids = [s[len(atrest.MARK) :][:8] for s in states[1:]]
        assert ids == [key_id(old), key_id(new)]
        merchants = [rotated.repository.get(i).merchant for i in (first, second, third)]
        assert merchants == ["before encryption", "under the old key", "under the new key"]
    finally:
        rotated.close()


def test_a_state_under_an_unknown_key_is_refused_clearly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(atrest.CIPHER_KEY_ENV, raising=False)
    monkeypatch.delenv(atrest.OLD_KEYS_ENV, raising=False)
    stray = atrest.MARK + b"\x01" * 8 + b"\x00" * 40
    with pytest.raises(CipherKeyError, match="0101010101010101"):
        atrest.open_state(stray)
    assert atrest.open_state(b'{"plain": 1}') == b'{"plain": 1}'


def test_the_process_environment_supplies_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    from eventsourcing.utils import Environment

    key = new_key()
    writer = atrest.AtRestCipher(Environment(env={"CIPHER_KEY": key}))
    sealed = writer.encrypt(b"secret payload")
    atrest.forget()  # a fresh process: it knows only what its environment gives
    with pytest.raises(CipherKeyError):
        atrest.open_state(sealed)
    monkeypatch.setenv(atrest.OLD_KEYS_ENV, f"{new_key()},{key}")
    assert atrest.open_state(sealed) == b"secret payload"
    assert writer.decrypt(sealed) == b"secret payload"
