"""LedgerApplication and the store helpers on the library's in-memory (POPO) recorder."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.utils import get_topic

from services.ledger.application import LedgerApplication
from services.ledger.domain import NotOwner, Transaction, TransactionDeleted
from shared import context
from shared.envelope import EventEnvelope, event_id_for
from shared.store import _plain, event_state, make_mapper, make_transcoder, to_envelope

SPENT = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC)
TRACE = {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}


@pytest.fixture
def app() -> Iterator[LedgerApplication]:
    """A ledger write model on the in-memory store."""
    application = LedgerApplication()
    yield application
    application.close()


def envelopes(app: LedgerApplication) -> list[EventEnvelope]:
    """Every stored event as the relay would publish it."""
    return [
        to_envelope("ledger", n.id, n)
        for n in app.recorder.select_notifications(start=1, limit=100)
    ]


def test_in_memory_store_is_used(app: LedgerApplication) -> None:
    assert type(app.recorder).__module__ == "eventsourcing.popo"
    assert app.head_position() == 0


def test_record_amend_delete_positions_and_state(app: LedgerApplication) -> None:
    user = uuid.uuid4()
    tx_id, p1 = app.record_transaction(
        user_id=user,
        amount=Decimal("10.5"),
        category="groceries",
        currency="eur",
        spent_at=SPENT,
        description="weekly",
        merchant="Market",
    )
    assert p1 == 1
    assert app.head_position() == 1
    tx: Transaction = app.repository.get(tx_id)
    assert (tx.amount, tx.currency, tx.category, tx.description, tx.merchant) == (
        Decimal("10.50"),
        "EUR",
        "groceries",
        "weekly",
        "Market",
    )
    assert tx.spent_at == SPENT
    assert tx.version == 1

    p2 = app.amend_transaction(tx_id, user_id=user, amount=Decimal("11"), description="fixed")
    assert p2 == 2
    tx = app.repository.get(tx_id)
    assert tx.amount == Decimal("11.00")
    assert tx.description == "fixed"
    assert tx.category == "groceries"
    assert tx.version == 2

    p3 = app.delete_transaction(tx_id, user_id=user)
    assert p3 == 3
    tx = app.repository.get(tx_id)
    assert tx.deleted is True
    assert tx.version == 3
    assert app.head_position() == 3
    # Soft delete: the full history is still readable.
    assert [e.type for e in envelopes(app)] == [
        "ledger.TransactionRecorded",
        "ledger.TransactionAmended",
        "ledger.TransactionDeleted",
    ]


def test_positions_increase_across_aggregates(app: LedgerApplication) -> None:
    user = uuid.uuid4()
    positions = [
        app.record_transaction(user_id=user, amount=Decimal(i), category="food")[1]
        for i in range(1, 6)
    ]
    assert positions == [1, 2, 3, 4, 5]


def test_record_defaults(app: LedgerApplication) -> None:
    before = dt.datetime.now(dt.UTC)
    tx_id, _ = app.record_transaction(user_id=uuid.uuid4(), amount=Decimal("1"), category="food")
    tx: Transaction = app.repository.get(tx_id)
    assert tx.currency == "USD"
    assert tx.description == ""
    assert tx.merchant is None
    assert tx.spent_at.tzinfo is not None
    assert before <= tx.spent_at <= dt.datetime.now(dt.UTC)


def test_explicit_transaction_id_and_duplicate(app: LedgerApplication) -> None:
    tx_id = uuid.uuid4()
    user = uuid.uuid4()
    got, _ = app.record_transaction(
        user_id=user, amount=Decimal("2"), category="food", transaction_id=tx_id
    )
    assert got == tx_id
    with pytest.raises(IntegrityError):
        app.record_transaction(
            user_id=user, amount=Decimal("3"), category="food", transaction_id=tx_id
        )
    assert app.head_position() == 1
    assert app.repository.get(tx_id).amount == Decimal("2.00")


def test_ownership_and_missing(app: LedgerApplication) -> None:
    user, stranger = uuid.uuid4(), uuid.uuid4()
    tx_id, _ = app.record_transaction(user_id=user, amount=Decimal("4"), category="food")
    with pytest.raises(NotOwner):
        app.amend_transaction(tx_id, user_id=stranger, amount=Decimal("1"))
    with pytest.raises(NotOwner):
        app.delete_transaction(tx_id, user_id=stranger)
    app.delete_transaction(tx_id, user_id=user)
    with pytest.raises(TransactionDeleted):
        app.amend_transaction(tx_id, user_id=user, description="late")
    with pytest.raises(AggregateNotFoundError):
        app.amend_transaction(uuid.uuid4(), user_id=user, description="x")
    assert app.head_position() == 2


def test_context_metadata_is_stored_and_published(app: LedgerApplication) -> None:
    user = uuid.uuid4()
    with context.use(correlation_id="req-1", user_id=str(user), trace_context=TRACE):
        tx_id, _ = app.record_transaction(user_id=user, amount=Decimal("9.99"), category="food")
    with context.use(correlation_id="req-2", causation_id="evt-1", user_id=str(user)):
        app.amend_transaction(tx_id, user_id=user, category="dining")
    app.delete_transaction(tx_id, user_id=user)  # outside any context

    (first, second, third) = app.recorder.select_notifications(start=1, limit=10)
    stored_meta = json.loads(first.state)["__meta__"]
    assert stored_meta == {
        "correlation_id": "req-1",
        "causation_id": None,
        "user_id": str(user),
        "trace_context": TRACE,
    }

    rec, amd, dlt = envelopes(app)
    assert (rec.correlation_id, rec.causation_id, rec.trace_context) == ("req-1", None, TRACE)
    assert rec.user_id == user
    assert (amd.correlation_id, amd.causation_id, amd.trace_context) == ("req-2", "evt-1", {})
    assert (dlt.correlation_id, dlt.causation_id, dlt.trace_context) == (None, None, {})
    # Without a context user, the payload's owner is the envelope user.
    assert dlt.user_id == user
    assert [e.position for e in (rec, amd, dlt)] == [first.id, second.id, third.id]


def test_envelope_fields_and_money_as_string(app: LedgerApplication) -> None:
    user = uuid.uuid4()
    tx_id, pos = app.record_transaction(
        user_id=user, amount=Decimal("1234.5"), category="rent", spent_at=SPENT, merchant="LL"
    )
    (env,) = envelopes(app)
    assert env.type == "ledger.TransactionRecorded"
    assert env.schema_version == 5
    assert env.service == "ledger"
    assert env.aggregate_id == tx_id
    assert env.aggregate_version == 1
    assert env.position == pos
    assert env.occurred_at.tzinfo is not None
    # Payload values are already in their JSON form: money is an exact string.
    assert env.payload["amount"] == "1234.50"
    assert env.payload["user_id"] == str(user)
    assert env.payload["currency"] == "USD"
    assert env.payload["merchant"] == "LL"
    assert dt.datetime.fromisoformat(env.payload["spent_at"]) == SPENT
    assert set(env.payload) == {
        "user_id",
        "amount",
        "currency",
        "category",
        "spent_at",
        "description",
        "merchant",
        "location",
        "tags",
        "notes",
        "is_recurring",
        "goal_id",
        "confidence_score",
        "receipt_url",
    }
    assert (env.payload["tags"], env.payload["is_recurring"], env.payload["goal_id"]) == (
        [],
        False,
        None,
    )
    wire = json.loads(env.to_bytes())
    assert wire["payload"]["amount"] == "1234.50"
    assert wire["payload"]["user_id"] == str(user)
    # What consumers decode from the broker equals what the relay built.
    back = EventEnvelope.from_bytes(env.to_bytes())
    assert back == env
    assert Decimal(back.payload["amount"]) == Decimal("1234.50")


def test_event_id_is_deterministic(app: LedgerApplication) -> None:
    user = uuid.uuid4()
    tx_id, _ = app.record_transaction(user_id=user, amount=Decimal("1"), category="food")
    app.amend_transaction(tx_id, user_id=user, description="a")
    first, second = envelopes(app)
    assert first.event_id == event_id_for(tx_id, 1)
    assert second.event_id == event_id_for(tx_id, 2)
    assert first.event_id != second.event_id
    # Decoding the same stored event again (a re-publish) gives the same identity.
    assert [e.event_id for e in envelopes(app)] == [first.event_id, second.event_id]
    assert event_id_for(tx_id, 1) == uuid.uuid5(
        uuid.UUID("6f1c8f1e-4a47-4bd5-9a36-0c8f7a1d2b10"), f"{tx_id}:1"
    )
    assert event_id_for(uuid.uuid4(), 1) != event_id_for(tx_id, 1)


def v1_recorded(tx_id: uuid.UUID, user: uuid.UUID) -> StoredEvent:
    """A ``Transaction.Recorded`` stored before ``merchant`` existed (no class_version)."""
    state = {
        "timestamp": dt.datetime(2023, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        "originator_topic": get_topic(Transaction),
        "user_id": user,
        "amount": Decimal("42.00"),
        "currency": "USD",
        "category": "food",
        "spent_at": SPENT,
        "description": "old",
    }
    return StoredEvent(
        originator_id=tx_id,
        originator_version=1,
        topic=get_topic(Transaction.Recorded),
        state=make_transcoder().encode(state),
    )


def test_v1_recorded_is_upcast_to_v2() -> None:
    tx_id, user = uuid.uuid4(), uuid.uuid4()
    stored = v1_recorded(tx_id, user)
    assert b"merchant" not in stored.state
    assert b"class_version" not in stored.state
    mapper = make_mapper()
    event = mapper.to_domain_event(stored)
    assert isinstance(event, Transaction.Recorded)
    assert event.merchant is None
    assert event.amount == Decimal("42.00")
    assert event.user_id == user

    env = to_envelope("ledger", 7, stored)
    assert env.schema_version == 5
    assert env.type == "ledger.TransactionRecorded"
    assert env.payload["merchant"] is None
    # The chain goes on to v3: the fields added then get their defaults too.
    assert env.payload["tags"] == []
    assert env.payload["is_recurring"] is False
    assert env.payload["location"] is env.payload["notes"] is env.payload["goal_id"] is None
    assert env.payload["description"] == "old"
    assert env.position == 7
    assert env.occurred_at == dt.datetime(2023, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    # v1 events carry no metadata: the payload's user is used, nothing else is invented.
    assert env.user_id == user
    assert (env.correlation_id, env.causation_id, env.trace_context) == (None, None, {})
    assert env.event_id == event_id_for(tx_id, 1)


def test_v1_event_in_store_rebuilds_aggregate(app: LedgerApplication) -> None:
    tx_id, user = uuid.uuid4(), uuid.uuid4()
    app.recorder.insert_events([v1_recorded(tx_id, user)])
    tx: Transaction = app.repository.get(tx_id)
    assert tx.merchant is None
    assert tx.amount == Decimal("42.00")
    app.amend_transaction(tx_id, user_id=user, amount=Decimal("40"))
    assert app.repository.get(tx_id).amount == Decimal("40.00")


def test_v3_round_trip_keeps_class_version() -> None:
    mapper = make_mapper()
    tx = Transaction.record(
        transaction_id=uuid.uuid4(),
        user_id=uuid.uuid4(),
        amount=Decimal("3.3"),
        currency="usd",
        category="food",
        spent_at=SPENT,
        merchant="M",
    )
    (event,) = tx.collect_events()
    stored = mapper.to_stored_event(event)
    assert json.loads(stored.state)["class_version"] == 5
    again = mapper.to_domain_event(stored)
    assert isinstance(again, Transaction.Recorded)
    assert again.merchant == "M"
    assert again.amount == Decimal("3.30")
    assert again.spent_at == SPENT


def test_event_state_is_json_form_and_upcast() -> None:
    tx_id, user = uuid.uuid4(), uuid.uuid4()
    cls, state = event_state(v1_recorded(tx_id, user))
    assert cls is Transaction.Recorded
    assert "class_version" not in state
    assert state["merchant"] is None
    assert state["amount"] == "42.00"
    assert state["user_id"] == str(user)
    assert state["spent_at"] == SPENT.isoformat()
    assert state["timestamp"] == "2023-01-02T03:04:05+00:00"


def test_amended_payload_keeps_unchanged_fields_as_null(app: LedgerApplication) -> None:
    user = uuid.uuid4()
    tx_id, _ = app.record_transaction(user_id=user, amount=Decimal("5"), category="food")
    app.amend_transaction(tx_id, user_id=user, amount=Decimal("0.5"))
    amended = envelopes(app)[1]
    assert amended.type == "ledger.TransactionAmended"
    assert amended.schema_version == 4
    assert amended.payload == {
        "user_id": str(user),
        "amount": "0.50",
        "currency": None,
        "category": None,
        "spent_at": None,
        "description": None,
        "merchant": None,
        "location": None,
        "tags": None,
        "notes": None,
        "is_recurring": None,
        "goal_id": None,
        "confidence_score": None,
        "receipt_url": None,
    }


def test_plain_unwraps_nested_transcodings() -> None:
    hexed = uuid.UUID(int=1).hex
    raw = {
        "a": [{"_type_": "decimal_str", "_data_": "1.10"}, 2],
        "b": {"u": {"_type_": "uuid_hex", "_data_": hexed}, "s": "x"},
        "c": {"_type_": "date_iso", "_data_": "2024-01-31"},
    }
    assert _plain(raw) == {
        "a": ["1.10", 2],
        "b": {"u": str(uuid.UUID(int=1)), "s": "x"},
        "c": "2024-01-31",
    }


def test_transcoder_round_trips_mita_types() -> None:
    transcoder = make_transcoder()
    value = {
        "day": dt.date(2024, 2, 29),
        "at": SPENT,
        "money": Decimal("0.10"),
        "id": uuid.UUID(int=7),
    }
    raw = transcoder.encode(value)
    assert b'"2024-02-29"' in raw
    assert b'"0.10"' in raw
    assert transcoder.decode(raw) == value


def test_accepted_events_are_always_publishable(app: LedgerApplication) -> None:
    owner = uuid.uuid4()
    with context.use(user_id="system"):
        try:
            app.record_transaction(user_id=owner, amount=Decimal("1"), category="food")
        except ValueError:
            return  # refusing the write up front is an acceptable fix
    (env,) = envelopes(app)
    assert env.user_id in (None, owner)
