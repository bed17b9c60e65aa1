"""Ledger domain: the Transaction aggregate (no I/O)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from eventsourcing.domain import Aggregate

from shared.envelope import registry

TOP_CATEGORIES = frozenset(
    {
        "food",
        "transportation",
        "entertainment",
        "healthcare",
        "shopping",
        "utilities",
        "education",
        "travel",
        "other",
    }
)
FINE_CATEGORIES = frozenset(
    {
        "dining",
        "groceries",
        "coffee",
        "gas",
        "public_transport",
        "taxi",
        "clothing",
        "insurance",
        "rent",
        "mortgage",
        "childcare",
        "pets",
        "subscriptions",
        "gifts",
        "charity",
        "personal_care",
    }
)
CATEGORIES = TOP_CATEGORIES | FINE_CATEGORIES
MAX_AMOUNT = Decimal("1000000000")


class LedgerError(Exception):
    """Base of ledger domain errors."""


class InvalidTransaction(LedgerError):
    """A command carried a value the ledger refuses."""


class NotOwner(LedgerError):
    """The caller does not own the transaction (answered as not found)."""


class TransactionDeleted(LedgerError):
    """The transaction was deleted and can no longer change."""


def valid_amount(amount: Decimal) -> Decimal:
    """Return ``amount`` if it is a positive money value with at most 2 places."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise InvalidTransaction("amount must be a decimal number")
    if amount <= 0:
        raise InvalidTransaction("amount must be greater than 0")
    if amount > MAX_AMOUNT:
        raise InvalidTransaction(f"amount must not exceed {MAX_AMOUNT}")
    cents = amount.quantize(Decimal("0.01"))
    if cents != amount:  # 1.000 is fine, 1.005 is not
        raise InvalidTransaction("amount must have at most 2 decimal places")
    return cents


def valid_category(category: str) -> str:
    """Return ``category`` if the app may send it."""
    if category not in CATEGORIES:
        raise InvalidTransaction(f"unknown category {category!r}")
    return category


def valid_spent_at(spent_at: dt.datetime) -> dt.datetime:
    """Spent-at must carry an offset so it maps to the user's local day."""
    if spent_at.tzinfo is None:
        raise InvalidTransaction("spent_at must include a UTC offset")
    return spent_at


class Transaction(Aggregate):
    """A money movement recorded by a user; soft-deleted, never erased."""

    class Recorded(Aggregate.Created):
        """v2 added ``merchant`` (v1 events are upcast with ``merchant = None``)."""

        class_version = 2
        user_id: uuid.UUID
        amount: Decimal
        currency: str
        category: str
        spent_at: dt.datetime
        description: str
        merchant: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """v1 had no merchant."""
            state["merchant"] = None

    class Amended(Aggregate.Event):
        """Any subset of the mutable fields changed (None means unchanged)."""

        user_id: uuid.UUID
        amount: Decimal | None
        currency: str | None
        category: str | None
        spent_at: dt.datetime | None
        description: str | None
        merchant: str | None

        def apply(self, aggregate: Aggregate) -> None:
            """Assign the changed fields."""
            assert isinstance(aggregate, Transaction)
            for name in ("amount", "currency", "category", "spent_at", "description", "merchant"):
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
    ) -> None:
        self.user_id = user_id
        self.amount = amount
        self.currency = currency
        self.category = category
        self.spent_at = spent_at
        self.description = description
        self.merchant = merchant
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
    ) -> Transaction:
        """Decide a new transaction from validated values."""
        return cls._create(
            cls.Recorded,
            id=transaction_id,
            user_id=user_id,
            amount=valid_amount(amount),
            currency=currency.upper(),
            category=valid_category(category),
            spent_at=valid_spent_at(spent_at),
            description=description,
            merchant=merchant,
        )

    def _check_owner(self, user_id: uuid.UUID) -> None:
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
    ) -> None:
        """Change any subset of fields after validating them."""
        self._check_owner(user_id)
        self.trigger_event(
            self.Amended,
            user_id=user_id,
            amount=valid_amount(amount) if amount is not None else None,
            currency=currency.upper() if currency is not None else None,
            category=valid_category(category) if category is not None else None,
            spent_at=valid_spent_at(spent_at) if spent_at is not None else None,
            description=description,
            merchant=merchant,
        )

    def delete(self, *, user_id: uuid.UUID) -> None:
        """Soft-delete the transaction."""
        self._check_owner(user_id)
        self.trigger_event(self.Deleted, user_id=user_id)


registry.register_aggregate("ledger", Transaction)
