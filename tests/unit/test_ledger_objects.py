"""The transaction object's v3 fields, amends, upcasting v2→v3 and idempotent creates (no I/O)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.utils import get_topic

from contracts.ledger import MAX_TAGS
from services.ledger.application import LedgerApplication
from services.ledger.domain import (
    IdempotencyKey,
    InvalidTransaction,
    NotOwner,
    Transaction,
    TransactionDeleted,
    idempotency_key_id,
)
from shared.store import make_mapper, make_transcoder, to_envelope

SPENT = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC)


@pytest.fixture
def app() -> Iterator[LedgerApplication]:
    """A ledger write model on the in-memory store."""
    application = LedgerApplication()
    yield application
    application.close()


def full(app: LedgerApplication, user: uuid.UUID, **extra: Any) -> Transaction:
    """Record a transaction with every object field set."""
    fields: dict[str, Any] = {
        "user_id": user,
        "amount": Decimal("42.00"),
        "category": "food",
        "currency": "eur",
        "spent_at": SPENT,
        "description": "lunch",
        "merchant": "Cafe",
        "location": "Sofia",
        "tags": [" work ", "lunch", "work", ""],
        "notes": "with Ana",
        "is_recurring": True,
        "goal_id": uuid.UUID(int=5),
        **extra,
    }
    return app.record(**fields).transaction


def test_record_keeps_every_object_field(app: LedgerApplication) -> None:
    user = uuid.uuid4()
    tx = full(app, user)
    assert (tx.location, tx.notes, tx.is_recurring, tx.goal_id) == (
        "Sofia",
        "with Ana",
        True,
        uuid.UUID(int=5),
    )
    assert tx.tags == ["work", "lunch"]  # trimmed, blank and repeated tags dropped
    assert tx.currency == "EUR"
    (env,) = [to_envelope("ledger", n.id, n) for n in app.recorder.select_notifications(1, 10)]
    assert env.schema_version == 5
    assert env.payload["tags"] == ["work", "lunch"]
    assert env.payload["goal_id"] == str(uuid.UUID(int=5))
    assert env.payload["is_recurring"] is True


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"currency": "EURO"}, "currency"),
        ({"currency": "€$£"}, "currency"),
        ({"tags": ["x" * 51]}, "tags"),
        ({"tags": [f"t{i}" for i in range(MAX_TAGS + 1)]}, "tags"),
        ({"description": "a\x00b"}, "description"),
        ({"merchant": "\x00"}, "merchant"),
        ({"notes": "\x00"}, "notes"),
        ({"location": "\x00"}, "location"),
        ({"tags": ["a\x00"]}, "tags"),
        ({"spent_at": dt.datetime(1, 1, 1, tzinfo=dt.UTC)}, "spent_at"),
        ({"spent_at": dt.datetime(9999, 1, 1, tzinfo=dt.UTC)}, "spent_at"),
        ({"amount": Decimal("0")}, "amount"),
        ({"category": "lottery"}, "category"),
    ],
)
def test_refusals_name_their_field(app: LedgerApplication, bad: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidTransaction) as info:
        full(app, uuid.uuid4(), **bad)
    assert info.value.field == field
    assert app.head_position() == 0


def test_default_currency_is_usd(app: LedgerApplication) -> None:
    saved = app.record(user_id=uuid.uuid4(), amount=Decimal("1"), category="food")
    assert saved.transaction.currency == "USD"
    assert (saved.transaction.tags, saved.transaction.is_recurring) == ([], False)


def test_amend_new_fields_and_no_op(app: LedgerApplication) -> None:
    user = uuid.uuid4()
    tx = full(app, user)
    saved = app.amend(tx.id, user_id=user, tags=["a"], is_recurring=False, location="Varna")
    assert saved.position == 2
    assert (saved.transaction.tags, saved.transaction.is_recurring) == (["a"], False)
    assert saved.transaction.location == "Varna"
    amended = to_envelope("ledger", 2, app.recorder.select_notifications(2, 1)[0])
    assert amended.payload["tags"] == ["a"]
    assert amended.payload["is_recurring"] is False
    assert amended.payload["notes"] is None  # unchanged fields stay null
    # The same values again (an equal amount in another spelling too) change nothing.
    again = app.amend(tx.id, user_id=user, amount=Decimal("42"), category="food", tags=["a"])
    assert again.position == 0
    assert app.head_position() == 2
    assert app.amend(tx.id, user_id=user).position == 0


def test_ownership_of_the_new_use_cases(app: LedgerApplication) -> None:
    user, stranger = uuid.uuid4(), uuid.uuid4()
    tx = full(app, user)
    with pytest.raises(NotOwner):
        app.amend(tx.id, user_id=stranger, notes="x")
    with pytest.raises(NotOwner):
        app.delete(tx.id, user_id=stranger)
    assert app.delete(tx.id, user_id=user).transaction.deleted is True
    with pytest.raises(TransactionDeleted):
        app.owned(tx.id, user)
    with pytest.raises(AggregateNotFoundError):
        app.owned(uuid.uuid4(), user)


def test_idempotent_create_returns_the_first(app: LedgerApplication) -> None:
    user = uuid.uuid4()
    first = app.record(user_id=user, amount=Decimal("42"), category="food", idempotency_key="k-1")
    assert not first.replayed
    head = app.head_position()
    assert head == first.position == 2  # the transaction and its key, in one save
    retry = app.record(user_id=user, amount=Decimal("99"), category="travel", idempotency_key="k-1")
    assert retry.replayed
    assert retry.position == 0
    assert retry.transaction.id == first.transaction.id
    assert retry.transaction.amount == Decimal("42.00")
    assert app.head_position() == head  # nothing appended
    # The key is per user, and a key's id is no transaction.
    other = app.record(
        user_id=uuid.uuid4(), amount=Decimal("1"), category="food", idempotency_key="k-1"
    )
    assert other.transaction.id != first.transaction.id
    with pytest.raises(AggregateNotFoundError):
        app.transaction(idempotency_key_id(user, "k-1"))
    key: IdempotencyKey = app.repository.get(idempotency_key_id(user, "k-1"))
    assert (key.user_id, key.transaction_id) == (user, first.transaction.id)


def test_concurrent_create_with_one_key_reloads_the_winner(
    app: LedgerApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loser of a race saw no key, then its save conflicts: it answers the winner's."""
    user = uuid.uuid4()
    winner = app.record(user_id=user, amount=Decimal("5"), category="food", idempotency_key="k")
    head = app.head_position()
    real = app.claimed_key
    calls: list[str] = []

    def racing(user_id: uuid.UUID, key: str) -> IdempotencyKey | None:
        calls.append(key)
        return None if len(calls) == 1 else real(user_id, key)

    monkeypatch.setattr(app, "claimed_key", racing)
    loser = app.record(user_id=user, amount=Decimal("6"), category="food", idempotency_key="k")
    assert calls == ["k", "k"]
    assert loser.replayed
    assert loser.transaction.id == winner.transaction.id
    assert app.head_position() == head


def test_conflict_not_on_the_key_is_raised(app: LedgerApplication) -> None:
    user, tx_id = uuid.uuid4(), uuid.uuid4()
    app.record(user_id=user, amount=Decimal("1"), category="food", transaction_id=tx_id)
    with pytest.raises(IntegrityError):
        app.record(
            user_id=user,
            amount=Decimal("1"),
            category="food",
            transaction_id=tx_id,
            idempotency_key="fresh",
        )
    assert app.claimed_key(user, "fresh") is None


def stored_v2(tx_id: uuid.UUID, user: uuid.UUID) -> StoredEvent:
    """A ``Transaction.Recorded`` as version 2 stored it (merchant, none of the v3 fields)."""
    state = {
        "timestamp": dt.datetime(2024, 1, 2, tzinfo=dt.UTC),
        "originator_topic": get_topic(Transaction),
        "class_version": 2,
        "user_id": user,
        "amount": Decimal("7.00"),
        "currency": "USD",
        "category": "coffee",
        "spent_at": SPENT,
        "description": "v2",
        "merchant": "Bean",
    }
    return StoredEvent(
        originator_id=tx_id,
        originator_version=1,
        topic=get_topic(Transaction.Recorded),
        state=make_transcoder().encode(state),
    )


def stored_amended_v1(tx_id: uuid.UUID, user: uuid.UUID) -> StoredEvent:
    """A ``Transaction.Amended`` as version 1 stored it (no v3 fields)."""
    state = {
        "timestamp": dt.datetime(2024, 1, 3, tzinfo=dt.UTC),
        "originator_topic": get_topic(Transaction),
        "user_id": user,
        "amount": Decimal("8.00"),
        "currency": None,
        "category": None,
        "spent_at": None,
        "description": None,
        "merchant": None,
    }
    return StoredEvent(
        originator_id=tx_id,
        originator_version=2,
        topic=get_topic(Transaction.Amended),
        state=make_transcoder().encode(state),
    )


def test_v2_recorded_and_v1_amended_are_upcast(app: LedgerApplication) -> None:
    tx_id, user = uuid.uuid4(), uuid.uuid4()
    app.recorder.insert_events([stored_v2(tx_id, user), stored_amended_v1(tx_id, user)])
    tx = app.transaction(tx_id)
    assert (tx.merchant, tx.amount, tx.tags, tx.is_recurring) == (
        "Bean",
        Decimal("8.00"),
        [],
        False,
    )
    assert (tx.location, tx.notes, tx.goal_id) == (None, None, None)
    recorded, amended = (
        to_envelope("ledger", n.id, n) for n in app.recorder.select_notifications(1, 10)
    )
    assert (recorded.schema_version, amended.schema_version) == (5, 4)
    assert recorded.payload["tags"] == []
    assert amended.payload["tags"] is None
    event = make_mapper().to_domain_event(stored_v2(tx_id, user))
    assert isinstance(event, Transaction.Recorded)
    assert event.goal_id is None
    # Amending the upcast aggregate stores the current versions.
    app.amend(tx_id, user_id=user, tags=["x"])
    last = app.recorder.select_notifications(3, 1)[0]
    assert json.loads(last.state)["class_version"] == 4
    assert app.transaction(tx_id).tags == ["x"]
