"""Unit tests of the ledger's Transaction aggregate (no I/O)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.ledger import CATEGORIES, MAX_AMOUNT
from services.ledger.domain import (
    InvalidTransaction,
    LedgerError,
    NotOwner,
    Transaction,
    TransactionDeleted,
    valid_amount,
)

SPENT = dt.datetime(2024, 3, 1, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))


def record(**overrides: Any) -> Transaction:
    """Record a valid transaction, with any field overridden."""
    fields: dict[str, Any] = {
        "transaction_id": uuid.uuid4(),
        "user_id": uuid.uuid4(),
        "amount": Decimal("12.50"),
        "currency": "usd",
        "category": "food",
        "spent_at": SPENT,
        "description": "lunch",
        "merchant": None,
    }
    fields.update(overrides)
    return Transaction.record(**fields)


def test_record_sets_state_and_one_recorded_event() -> None:
    tx_id, user = uuid.uuid4(), uuid.uuid4()
    tx = record(transaction_id=tx_id, user_id=user, merchant="Cafe", description="coffee")
    assert tx.id == tx_id
    assert tx.version == 1
    assert tx.user_id == user
    assert tx.amount == Decimal("12.50")
    assert tx.currency == "USD"
    assert tx.category == "food"
    assert tx.spent_at == SPENT
    assert tx.description == "coffee"
    assert tx.merchant == "Cafe"
    assert tx.deleted is False
    events = tx.collect_events()
    assert [type(e) for e in events] == [Transaction.Recorded]
    recorded = events[0]
    assert isinstance(recorded, Transaction.Recorded)
    assert recorded.amount == Decimal("12.50")
    assert recorded.currency == "USD"
    assert recorded.merchant == "Cafe"


@pytest.mark.parametrize(
    ("given_amount", "stored"),
    [
        (Decimal("5"), "5.00"),
        (Decimal("0.01"), "0.01"),
        (Decimal("0.1"), "0.10"),
        (Decimal("19.99"), "19.99"),
        (Decimal("1E+2"), "100.00"),
        (MAX_AMOUNT, "1000000000.00"),
        (Decimal("1.000"), "1.00"),  # trailing zeros are not extra precision
    ],
)
def test_amount_is_quantized_to_cents(given_amount: Decimal, stored: str) -> None:
    tx = record(amount=given_amount)
    assert tx.amount == Decimal(stored)
    # Same value *and* same representation: exactly two places.
    assert str(tx.amount) == stored
    assert tx.amount.as_tuple().exponent == -2


@pytest.mark.parametrize(
    "bad",
    [
        Decimal("0"),
        Decimal("0.00"),
        Decimal("-0"),
        Decimal("-1.00"),
        Decimal("0.001"),
        Decimal("1.005"),
        Decimal("NaN"),
        Decimal("sNaN"),
        Decimal("Infinity"),
        Decimal("-Infinity"),
        MAX_AMOUNT + Decimal("0.01"),
        Decimal("1E+30"),
    ],
)
def test_invalid_amounts_are_rejected(bad: Decimal) -> None:
    with pytest.raises(InvalidTransaction):
        record(amount=bad)


@pytest.mark.parametrize("not_decimal", [12.5, 12, "12.50"])
def test_amount_must_be_a_decimal(not_decimal: object) -> None:
    with pytest.raises(InvalidTransaction, match="decimal"):
        record(amount=not_decimal)


def test_more_than_two_places_message() -> None:
    with pytest.raises(InvalidTransaction, match="at most 2 decimal places"):
        valid_amount(Decimal("1.234"))


def test_huge_amount_message_is_not_misleading() -> None:
    with pytest.raises(InvalidTransaction) as info:
        valid_amount(MAX_AMOUNT * 10)
    assert "greater than 0" not in str(info.value)


@given(cents=st.integers(min_value=1, max_value=int(MAX_AMOUNT) * 100))
def test_any_positive_cent_amount_round_trips(cents: int) -> None:
    amount = Decimal(cents).scaleb(-2)
    assert valid_amount(amount) == amount
    assert valid_amount(amount).as_tuple().exponent == -2


def test_unknown_category_rejected() -> None:
    with pytest.raises(InvalidTransaction, match="unknown category 'lottery'"):
        record(category="lottery")
    # Categories are case-sensitive identifiers, not free text.
    with pytest.raises(InvalidTransaction):
        record(category="Food")


@pytest.mark.parametrize("category", sorted(CATEGORIES))
def test_every_known_category_accepted(category: str) -> None:
    assert record(category=category).category == category


def test_naive_spent_at_rejected() -> None:
    with pytest.raises(InvalidTransaction, match="UTC offset"):
        record(spent_at=dt.datetime(2024, 3, 1, 12, 30))


def test_errors_share_a_base() -> None:
    assert issubclass(InvalidTransaction, LedgerError)
    assert issubclass(NotOwner, LedgerError)
    assert issubclass(TransactionDeleted, LedgerError)


def test_amend_changes_only_given_fields() -> None:
    tx = record(merchant="Shop")
    tx.collect_events()
    tx.amend(user_id=tx.user_id, amount=Decimal("7.5"), currency="eur")
    assert tx.amount == Decimal("7.50")
    assert str(tx.amount) == "7.50"
    assert tx.currency == "EUR"
    # Untouched fields keep their values.
    assert tx.category == "food"
    assert tx.description == "lunch"
    assert tx.merchant == "Shop"
    assert tx.spent_at == SPENT
    assert tx.version == 2
    (event,) = tx.collect_events()
    assert isinstance(event, Transaction.Amended)
    assert event.amount == Decimal("7.50")
    assert event.currency == "EUR"
    assert event.category is None
    assert event.description is None
    assert event.user_id == tx.user_id


def test_amend_every_field() -> None:
    tx = record()
    later = dt.datetime(2024, 4, 2, 8, 0, tzinfo=dt.UTC)
    tx.amend(
        user_id=tx.user_id,
        amount=Decimal("1"),
        currency="gbp",
        category="travel",
        spent_at=later,
        description="train",
        merchant="Rail",
    )
    assert (tx.amount, tx.currency, tx.category, tx.spent_at, tx.description, tx.merchant) == (
        Decimal("1.00"),
        "GBP",
        "travel",
        later,
        "train",
        "Rail",
    )


@pytest.mark.parametrize(
    "bad",
    [
        {"amount": Decimal("0")},
        {"amount": Decimal("1.001")},
        {"category": "nope"},
        {"spent_at": dt.datetime(2024, 1, 1)},
    ],
)
def test_invalid_amend_records_nothing(bad: dict[str, Any]) -> None:
    tx = record()
    tx.collect_events()
    with pytest.raises(InvalidTransaction):
        tx.amend(user_id=tx.user_id, **bad)
    assert tx.version == 1
    assert tx.collect_events() == []
    assert tx.amount == Decimal("12.50")
    assert tx.category == "food"


def test_amend_by_another_user_is_not_owner() -> None:
    tx = record()
    tx.collect_events()
    with pytest.raises(NotOwner):
        tx.amend(user_id=uuid.uuid4(), amount=Decimal("1.00"))
    assert tx.amount == Decimal("12.50")
    assert tx.collect_events() == []


def test_delete_marks_deleted() -> None:
    tx = record()
    tx.collect_events()
    tx.delete(user_id=tx.user_id)
    assert tx.deleted is True
    assert tx.version == 2
    (event,) = tx.collect_events()
    assert isinstance(event, Transaction.Deleted)
    assert event.user_id == tx.user_id


def test_delete_by_another_user_is_not_owner() -> None:
    tx = record()
    with pytest.raises(NotOwner):
        tx.delete(user_id=uuid.uuid4())
    assert tx.deleted is False


def test_no_change_after_delete() -> None:
    tx = record()
    tx.delete(user_id=tx.user_id)
    tx.collect_events()
    with pytest.raises(TransactionDeleted):
        tx.amend(user_id=tx.user_id, description="again")
    with pytest.raises(TransactionDeleted):
        tx.delete(user_id=tx.user_id)
    # Ownership is checked first: a stranger learns nothing about the deletion.
    with pytest.raises(NotOwner):
        tx.amend(user_id=uuid.uuid4(), description="x")
    assert tx.collect_events() == []
    assert tx.version == 2


def test_event_names_are_past_tense() -> None:
    tx = record()
    tx.amend(user_id=tx.user_id, description="d")
    tx.delete(user_id=tx.user_id)
    names = [type(e).__name__ for e in tx.collect_events()]
    assert names == ["Recorded", "Amended", "Deleted"]
    assert all(name.endswith("ed") for name in names)


def test_recorded_is_version_5_with_upcasters() -> None:
    assert Transaction.Recorded.class_version == 5
    state: dict[str, Any] = {"amount": Decimal("1.00")}
    Transaction.Recorded.upcast_v1_v2(state)
    assert state == {"amount": Decimal("1.00"), "merchant": None}
    Transaction.Recorded.upcast_v2_v3(state)
    assert state == {
        "amount": Decimal("1.00"),
        "merchant": None,
        "location": None,
        "tags": [],
        "notes": None,
        "is_recurring": False,
        "goal_id": None,
    }
    Transaction.Recorded.upcast_v3_v4(state)
    assert state["confidence_score"] is None
    Transaction.Recorded.upcast_v4_v5(state)
    assert state["receipt_url"] is None
    amended: dict[str, Any] = {}
    Transaction.Amended.upcast_v2_v3(amended)
    assert amended == {"confidence_score": None}
    Transaction.Amended.upcast_v3_v4(amended)
    assert amended == {"confidence_score": None, "receipt_url": None}


def test_confidence_score_is_kept_checked_and_amendable() -> None:
    user = uuid.uuid4()
    tx = Transaction.record(
        transaction_id=uuid.uuid4(),
        user_id=user,
        amount=Decimal("9.99"),
        currency="EUR",
        category="food",
        spent_at=dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC),
        confidence_score=Decimal("0.8765"),
    )
    assert tx.confidence_score == Decimal("0.877")
    for bad in (Decimal("1.01"), Decimal("-0.1"), Decimal("NaN")):
        with pytest.raises(InvalidTransaction) as caught:
            tx.amend(user_id=user, confidence_score=bad)
        assert caught.value.field == "confidence_score"
    assert tx.amend(user_id=user, confidence_score=Decimal("0.5")) is True
    assert tx.confidence_score == Decimal("0.500")


def test_a_receipt_link_is_kept_canonical() -> None:
    receipt = uuid.uuid4()
    tx = record(receipt_url=f"https://api.mita.example/api/transactions/receipt/{receipt}/image")
    assert tx.receipt_url == f"/api/transactions/receipt/{receipt}/image"
    assert record().receipt_url is None


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("is_recurring", "yes"),
        ("goal_id", "not-a-uuid"),
        ("notes", "a\x00b"),
        ("receipt_url", "https://evil.example/x.jpg"),
        ("receipt_url", "/api/transactions/receipt/not-a-uuid/image"),
    ],
)
def test_each_field_has_its_rule(field: str, bad: object) -> None:
    with pytest.raises(InvalidTransaction) as caught:
        record(**{field: bad})
    assert caught.value.field == field
    tx = record()
    with pytest.raises(InvalidTransaction):
        tx.amend(user_id=tx.user_id, **{field: bad})
    assert len(tx.collect_events()) == 1  # nothing appended by the refused amend


@pytest.mark.parametrize("missing", ["amount", "category", "currency", "spent_at"])
def test_a_required_field_left_out_is_refused(missing: str) -> None:
    with pytest.raises(InvalidTransaction) as caught:
        record(**{missing: None})
    assert caught.value.field == missing


def test_an_undeclared_field_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="receipt"):
        record(receipt="x")
    tx = record()
    with pytest.raises(TypeError, match="color"):
        tx.amend(user_id=tx.user_id, color="red")


def test_left_out_fields_take_the_domain_defaults() -> None:
    tx = record(description=None)
    assert (tx.description, tx.tags, tx.is_recurring, tx.location) == ("", [], False, None)
