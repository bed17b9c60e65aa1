"""Ledger domain: the Transaction aggregate (no I/O)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from eventsourcing.domain import Aggregate

from contracts.ledger import (
    CATEGORIES,
    FIELD_TYPES,
    MAX_AMOUNT,
    MAX_TAG_LENGTH,
    MAX_TAGS,
    TRANSACTION_FIELDS,
    receipt_of,
)
from shared.envelope import registry
from shared.errors import InvalidField

EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)
MAX_CONFIDENCE = Decimal(1)
IDEMPOTENCY_NAMESPACE = uuid.UUID("8c4b2f0e-51a3-4d7c-b6b9-3f0e9a7d21c5")
# Every field of the transaction object may be amended (None in an Amended event: unchanged).
AMENDABLE = TRANSACTION_FIELDS
# What a field is when a create leaves it out, and what an event written before the field
# existed means by it (the upcasters and the SQL rebuild both read this); unlisted: None.
DEFAULTS: dict[str, Any] = {"description": "", "tags": [], "is_recurring": False}
# The event version that added each field after v1 (the upcasters fill them with DEFAULTS).
ADDED_IN = {
    "merchant": 2, "location": 3, "tags": 3, "notes": 3, "is_recurring": 3, "goal_id": 3,
    "confidence_score": 4, "receipt_url": 5,
}  # fmt: skip


class LedgerError(Exception):
    """Base of ledger domain errors."""


class InvalidTransaction(LedgerError, InvalidField):
    """A command carried a value the ledger refuses (``field`` names it)."""


class NotOwner(LedgerError):
    """The caller does not own the transaction (answered as not found)."""


class TransactionDeleted(LedgerError):
    """The transaction was deleted and can no longer change."""


def idempotency_key_id(user_id: uuid.UUID, key: str) -> uuid.UUID:
    """Derived id of the idempotency key aggregate: one per (user, key)."""
    return uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{user_id}:{key}")


def valid_amount(amount: Decimal) -> Decimal:
    """Return ``amount`` if it is a positive money value with at most 2 places."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise InvalidTransaction("amount must be a decimal number", "amount")
    if amount <= 0:
        raise InvalidTransaction("amount must be greater than 0", "amount")
    if amount > MAX_AMOUNT:
        raise InvalidTransaction(f"amount must not exceed {MAX_AMOUNT}", "amount")
    cents = amount.quantize(Decimal("0.01"))
    if cents != amount:  # 1.000 is fine, 1.005 is not
        raise InvalidTransaction("amount must have at most 2 decimal places", "amount")
    return cents


def valid_category(category: str) -> str:
    """Return ``category`` if the app may send it."""
    if category not in CATEGORIES:
        raise InvalidTransaction(f"unknown category {category!r}", "category")
    return category


def valid_currency(currency: str) -> str:
    """Return an ISO 4217-shaped code (three ASCII letters), upper-cased."""
    code = currency.strip().upper()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise InvalidTransaction("currency must be a 3-letter code", "currency")
    return code


def valid_tags(tags: list[str]) -> list[str]:
    """Trimmed, non-empty, distinct tags (first spelling kept), at most ``MAX_TAGS``."""
    out: list[str] = []
    for tag in tags:
        clean = str(valid_text(tag, "tags")).strip()
        if len(clean) > MAX_TAG_LENGTH:
            raise InvalidTransaction(f"a tag must be at most {MAX_TAG_LENGTH} characters", "tags")
        if clean and clean not in out:
            out.append(clean)
    if len(out) > MAX_TAGS:
        raise InvalidTransaction(f"at most {MAX_TAGS} tags", "tags")
    return out


def valid_spent_at(spent_at: dt.datetime) -> dt.datetime:
    """Spent-at must carry an offset so it maps to the user's local day, and be plausible."""
    if spent_at.tzinfo is None:
        raise InvalidTransaction("spent_at must include a UTC offset", "spent_at")
    if not EARLIEST <= spent_at < LATEST:
        raise InvalidTransaction(
            f"spent_at must be between {EARLIEST.year} and {LATEST.year}", "spent_at"
        )
    return spent_at


def valid_confidence(score: Decimal | None) -> Decimal | None:
    """A receipt's confidence score: 0..1, kept to 3 places."""
    if score is None:
        return None
    if not isinstance(score, Decimal) or not score.is_finite() or not 0 <= score <= 1:
        raise InvalidTransaction("confidence_score must be between 0 and 1", "confidence_score")
    return score.quantize(Decimal("0.001"), ROUND_HALF_UP)


def valid_receipt_url(value: str) -> str:
    """A link to a receipt: its image path (``contracts.ledger.RECEIPT_URL``), canonical."""
    receipt = receipt_of(value)
    if receipt is None:
        raise InvalidTransaction(
            "receipt_url must be a receipt link: /api/transactions/receipt/{id}/image",
            "receipt_url",
        )
    return f"/api/transactions/receipt/{receipt}/image"


def valid_text(value: str | None, field: str) -> str | None:
    """Free text without NUL characters (they cannot be stored in read models)."""
    if value is not None and "\x00" in value:
        raise InvalidTransaction(f"{field} must not contain NUL characters", field)
    return value


def default_of(name: str) -> Any:
    """A field's value when it was not given (a fresh list for list fields)."""
    value = DEFAULTS.get(name)
    return list(value) if isinstance(value, list) else value


def added_in(version: int) -> tuple[str, ...]:
    """The fields event version ``version`` of Recorded added."""
    return tuple(name for name, v in ADDED_IN.items() if v == version)


def valid_flag(value: bool) -> bool:
    """A yes/no field."""
    if not isinstance(value, bool):
        raise InvalidTransaction("must be true or false", "is_recurring")
    return value


def valid_goal(value: uuid.UUID) -> uuid.UUID:
    """A goal reference."""
    if not isinstance(value, uuid.UUID):
        raise InvalidTransaction("goal_id must be a UUID", "goal_id")
    return value


# Per-field rules beyond the text check every str field gets.
VALIDATORS: dict[str, Any] = {
    "amount": valid_amount, "currency": valid_currency, "category": valid_category,
    "spent_at": valid_spent_at, "tags": valid_tags, "confidence_score": valid_confidence,
    "is_recurring": valid_flag, "goal_id": valid_goal, "receipt_url": valid_receipt_url,
}  # fmt: skip


def validated(name: str, value: Any) -> Any:
    """``value`` checked by the field's rule (None stays None: not given)."""
    if value is None:
        return None
    rule = VALIDATORS.get(name)
    if rule is not None:
        return rule(value)
    return valid_text(value, name) if FIELD_TYPES[name] is str else value


def _upcast(state: dict[str, Any], version: int, *, amended: bool) -> None:
    for name in added_in(version):
        state[name] = None if amended else default_of(name)


#: What a transaction says about its owner's life: sealed with their data key (shared.crypto).
PERSONAL = ("merchant", "description", "notes", "location")


class Transaction(Aggregate):
    """A money movement recorded by a user; soft-deleted, never erased.

    Its fields are ``contracts.ledger.TRANSACTION_FIELDS``; the events below carry them.
    """

    class Recorded(Aggregate.Created):
        """v2 added ``merchant``; v3 the rest of the app's object; v4 ``confidence_score``;
        v5 ``receipt_url``."""

        class_version = 5
        __annotations__ = {"user_id": uuid.UUID, **FIELD_TYPES}
        personal_fields = PERSONAL
        if TYPE_CHECKING:  # the fields come from the list above; mypy reads them as Any

            def __getattr__(self, name: str) -> Any: ...

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """v1 had no merchant."""
            _upcast(state, 2, amended=False)

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            """v2 had no location, tags, notes, recurrence flag or goal."""
            _upcast(state, 3, amended=False)

        @staticmethod
        def upcast_v3_v4(state: dict[str, Any]) -> None:
            """v3 had no confidence score (typed by hand, not read from a receipt)."""
            _upcast(state, 4, amended=False)

        @staticmethod
        def upcast_v4_v5(state: dict[str, Any]) -> None:
            """v4 linked no receipt."""
            _upcast(state, 5, amended=False)

        def apply(self, aggregate: Aggregate) -> None:
            """Assign every field (``__init__`` took the owner)."""
            for name in TRANSACTION_FIELDS:
                value = getattr(self, name)
                setattr(aggregate, name, list(value) if isinstance(value, list) else value)

    class Amended(Aggregate.Event):
        """Any subset of the fields changed (None means unchanged)."""

        class_version = 4
        __annotations__ = {"user_id": uuid.UUID, **{n: t | None for n, t in FIELD_TYPES.items()}}
        personal_fields = PERSONAL
        if TYPE_CHECKING:

            def __getattr__(self, name: str) -> Any: ...

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """v1 could not change the fields v3 of Recorded added."""
            _upcast(state, 3, amended=True)

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            """v2 could not change the confidence score."""
            _upcast(state, 4, amended=True)

        @staticmethod
        def upcast_v3_v4(state: dict[str, Any]) -> None:
            """v3 could not link a receipt."""
            _upcast(state, 5, amended=True)

        def apply(self, aggregate: Aggregate) -> None:
            """Assign the changed fields."""
            assert isinstance(aggregate, Transaction)
            for name in AMENDABLE:
                value = getattr(self, name)
                if value is not None:
                    setattr(aggregate, name, value)

    class Deleted(Aggregate.Event):
        """Soft delete: the history stays in the log."""

        user_id: uuid.UUID

        def apply(self, aggregate: Aggregate) -> None:
            """Mark deleted."""
            assert isinstance(aggregate, Transaction)
            aggregate.deleted = True

    def __init__(self, user_id: uuid.UUID) -> None:
        self.user_id = user_id
        self.deleted = False

    if TYPE_CHECKING:  # Recorded.apply sets the fields from the list; mypy reads them as Any

        def __getattr__(self, name: str) -> Any: ...

    @classmethod
    def record(cls, *, transaction_id: uuid.UUID, user_id: uuid.UUID, **fields: Any) -> Transaction:
        """Decide a new transaction: every field validated, the left-out ones defaulted."""
        unknown = set(fields) - set(TRANSACTION_FIELDS)
        if unknown:
            raise TypeError(f"unknown transaction fields {sorted(unknown)}")
        decided = {name: validated(name, fields.get(name)) for name in TRANSACTION_FIELDS}
        for name in ("amount", "currency", "category", "spent_at"):
            if decided[name] is None:
                raise InvalidTransaction(f"{name} is required", name)
        for name, value in decided.items():
            if value is None:
                decided[name] = default_of(name)
        return cls._create(cls.Recorded, id=transaction_id, user_id=user_id, **decided)

    def check_owner(self, user_id: uuid.UUID) -> None:
        """Refuse a caller who does not own the transaction, or a deleted one."""
        if user_id != self.user_id:
            raise NotOwner("transaction not found")
        if self.deleted:
            raise TransactionDeleted("transaction was deleted")

    def amend(self, *, user_id: uuid.UUID, **changes: Any) -> bool:
        """Change any subset of fields after validating them; return whether any changed."""
        self.check_owner(user_id)
        unknown = set(changes) - set(AMENDABLE)
        if unknown:
            raise TypeError(f"unknown transaction fields {sorted(unknown)}")
        given = {name: validated(name, value) for name, value in changes.items()}
        changed = {k: v for k, v in given.items() if v is not None and v != getattr(self, k)}
        if changed:
            self.trigger_event(
                self.Amended, user_id=user_id, **{k: changed.get(k) for k in AMENDABLE}
            )
        return bool(changed)

    def delete(self, *, user_id: uuid.UUID) -> None:
        """Soft-delete the transaction."""
        self.check_owner(user_id)
        self.trigger_event(self.Deleted, user_id=user_id)


class IdempotencyKey(Aggregate):
    """One per (user, Idempotency-Key) (derived id): a second claim of the same key fails."""

    class Claimed(Aggregate.Created):
        """The key produced this transaction."""

        user_id: uuid.UUID
        transaction_id: uuid.UUID

    def __init__(self, user_id: uuid.UUID, transaction_id: uuid.UUID) -> None:
        self.user_id = user_id
        self.transaction_id = transaction_id

    @classmethod
    def claim(cls, *, user_id: uuid.UUID, key: str, transaction_id: uuid.UUID) -> IdempotencyKey:
        """Claim a key for the transaction it creates."""
        return cls._create(
            cls.Claimed,
            id=idempotency_key_id(user_id, key),
            user_id=user_id,
            transaction_id=transaction_id,
        )


registry.register_aggregate("ledger", Transaction)
registry.register_aggregate("ledger", IdempotencyKey)
