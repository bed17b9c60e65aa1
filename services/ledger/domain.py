"""Ledger domain: the Transaction aggregate (no I/O)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from eventsourcing.domain import Aggregate

from contracts.ledger import CATEGORIES, MAX_AMOUNT, MAX_TAG_LENGTH, MAX_TAGS
from shared.envelope import registry

EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)
MAX_CONFIDENCE = Decimal(1)
IDEMPOTENCY_NAMESPACE = uuid.UUID("8c4b2f0e-51a3-4d7c-b6b9-3f0e9a7d21c5")
# Fields of the transaction object an amend may change (None in an Amended event: unchanged).
AMENDABLE = (
    "amount", "currency", "category", "spent_at", "description", "merchant", "location",
    "tags", "notes", "is_recurring", "goal_id", "confidence_score",
)  # fmt: skip


class LedgerError(Exception):
    """Base of ledger domain errors."""


class InvalidTransaction(LedgerError):
    """A command carried a value the ledger refuses (``field`` names it)."""

    def __init__(self, message: str, field: str = "body") -> None:
        super().__init__(message)
        self.field = field


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


def valid_text(value: str | None, field: str) -> str | None:
    """Free text without NUL characters (they cannot be stored in read models)."""
    if value is not None and "\x00" in value:
        raise InvalidTransaction(f"{field} must not contain NUL characters", field)
    return value


class Transaction(Aggregate):
    """A money movement recorded by a user; soft-deleted, never erased."""

    class Recorded(Aggregate.Created):
        """v2 added ``merchant``; v3 the rest of the app's object; v4 ``confidence_score``."""

        class_version = 4
        user_id: uuid.UUID
        amount: Decimal
        currency: str
        category: str
        spent_at: dt.datetime
        description: str
        merchant: str | None
        location: str | None
        tags: list[str]
        notes: str | None
        is_recurring: bool
        goal_id: uuid.UUID | None
        confidence_score: Decimal | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """v1 had no merchant."""
            state["merchant"] = None

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            """v2 had no location, tags, notes, recurrence flag or goal."""
            state.update(location=None, tags=[], notes=None, is_recurring=False, goal_id=None)

        @staticmethod
        def upcast_v3_v4(state: dict[str, Any]) -> None:
            """v3 had no confidence score (typed by hand, not read from a receipt)."""
            state["confidence_score"] = None

    class Amended(Aggregate.Event):
        """Any subset of the mutable fields changed (None means unchanged)."""

        class_version = 3
        user_id: uuid.UUID
        amount: Decimal | None
        currency: str | None
        category: str | None
        spent_at: dt.datetime | None
        description: str | None
        merchant: str | None
        location: str | None
        tags: list[str] | None
        notes: str | None
        is_recurring: bool | None
        goal_id: uuid.UUID | None
        confidence_score: Decimal | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """v1 could not change the fields v3 of Recorded added."""
            state.update(location=None, tags=None, notes=None, is_recurring=None, goal_id=None)

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            """v2 could not change the confidence score."""
            state["confidence_score"] = None

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

    def __init__(
        self,
        user_id: uuid.UUID,
        amount: Decimal,
        currency: str,
        category: str,
        spent_at: dt.datetime,
        description: str,
        merchant: str | None,
        location: str | None,
        tags: list[str],
        notes: str | None,
        is_recurring: bool,
        goal_id: uuid.UUID | None,
        confidence_score: Decimal | None,
    ) -> None:
        self.user_id = user_id
        self.amount = amount
        self.currency = currency
        self.category = category
        self.spent_at = spent_at
        self.description = description
        self.merchant = merchant
        self.location = location
        self.tags = list(tags)
        self.notes = notes
        self.is_recurring = is_recurring
        self.goal_id = goal_id
        self.confidence_score = confidence_score
        self.deleted = False

    @classmethod
    def record(
        cls,
        *,
        transaction_id: uuid.UUID,
        user_id: uuid.UUID,
        amount: Decimal,
        currency: str,
        category: str,
        spent_at: dt.datetime,
        description: str = "",
        merchant: str | None = None,
        location: str | None = None,
        tags: list[str] | None = None,
        notes: str | None = None,
        is_recurring: bool = False,
        goal_id: uuid.UUID | None = None,
        confidence_score: Decimal | None = None,
    ) -> Transaction:
        """Decide a new transaction from validated values."""
        return cls._create(
            cls.Recorded,
            id=transaction_id,
            user_id=user_id,
            amount=valid_amount(amount),
            currency=valid_currency(currency),
            category=valid_category(category),
            spent_at=valid_spent_at(spent_at),
            description=valid_text(description, "description"),
            merchant=valid_text(merchant, "merchant"),
            location=valid_text(location, "location"),
            tags=valid_tags(tags or []),
            notes=valid_text(notes, "notes"),
            is_recurring=is_recurring,
            goal_id=goal_id,
            confidence_score=valid_confidence(confidence_score),
        )

    def check_owner(self, user_id: uuid.UUID) -> None:
        """Refuse a caller who does not own the transaction, or a deleted one."""
        if user_id != self.user_id:
            raise NotOwner("transaction not found")
        if self.deleted:
            raise TransactionDeleted("transaction was deleted")

    def amend(
        self,
        *,
        user_id: uuid.UUID,
        amount: Decimal | None = None,
        currency: str | None = None,
        category: str | None = None,
        spent_at: dt.datetime | None = None,
        description: str | None = None,
        merchant: str | None = None,
        location: str | None = None,
        tags: list[str] | None = None,
        notes: str | None = None,
        is_recurring: bool | None = None,
        goal_id: uuid.UUID | None = None,
        confidence_score: Decimal | None = None,
    ) -> bool:
        """Change any subset of fields after validating them; return whether any changed."""
        self.check_owner(user_id)
        given: dict[str, Any] = {
            "amount": valid_amount(amount) if amount is not None else None,
            "currency": valid_currency(currency) if currency is not None else None,
            "category": valid_category(category) if category is not None else None,
            "spent_at": valid_spent_at(spent_at) if spent_at is not None else None,
            "description": valid_text(description, "description"),
            "merchant": valid_text(merchant, "merchant"),
            "location": valid_text(location, "location"),
            "tags": valid_tags(tags) if tags is not None else None,
            "notes": valid_text(notes, "notes"),
            "is_recurring": is_recurring,
            "goal_id": goal_id,
            "confidence_score": valid_confidence(confidence_score),
        }
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
