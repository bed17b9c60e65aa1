"""Ledger use cases: load, decide, save; each returns what it changed and the stored position."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.ledger.domain import IdempotencyKey, Transaction, idempotency_key_id
from services.ledger.goals.application import GoalCases
from services.ledger.installments.application import InstallmentCases
from shared.store import MitaApplication

DEFAULT_CURRENCY = "USD"


@dataclass(frozen=True)
class Saved:
    """A use case's transaction, its last stored position (0: none) and whether it was replayed."""

    transaction: Transaction
    position: int
    replayed: bool = False


class LedgerApplication(GoalCases, InstallmentCases, MitaApplication):
    """Write model of the ledger service (transactions and goals)."""

    name = "ledger"
    service = "ledger"

    def _save(self, *aggregates: Any) -> int:
        recordings = self.save(*aggregates)
        return max((r.notification.id for r in recordings), default=self.head_position())

    def transaction(self, transaction_id: uuid.UUID) -> Transaction:
        """Load a transaction (AggregateNotFoundError for unknown ids and other aggregates)."""
        tx: Any = self.repository.get(transaction_id)
        if not isinstance(tx, Transaction):  # e.g. an idempotency key's id
            raise AggregateNotFoundError(transaction_id)
        return tx

    def owned(self, transaction_id: uuid.UUID, user_id: uuid.UUID) -> Transaction:
        """A live transaction of ``user_id`` (NotOwner / TransactionDeleted otherwise)."""
        tx = self.transaction(transaction_id)
        tx.check_owner(user_id)
        return tx

    def claimed_key(self, user_id: uuid.UUID, key: str) -> IdempotencyKey | None:
        """The idempotency key aggregate for (user, key), if it was claimed."""
        try:
            index: Any = self.repository.get(idempotency_key_id(user_id, key))
        except AggregateNotFoundError:
            return None
        return index if isinstance(index, IdempotencyKey) else None

    def _replay(self, claimed: IdempotencyKey) -> Saved:
        return Saved(self.transaction(claimed.transaction_id), 0, replayed=True)

    def record(
        self,
        *,
        user_id: uuid.UUID,
        transaction_id: uuid.UUID | None = None,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> Saved:
        """Record a transaction from its fields (``contracts.ledger.TRANSACTION_FIELDS``);
        with a key already used by this user, return the first one."""
        # The key aggregate is saved in the same transaction as the transaction, so of two
        # concurrent creates with one key exactly one appends; the other reloads the winner.
        if idempotency_key is not None:
            claimed = self.claimed_key(user_id, idempotency_key)
            if claimed is not None:
                return self._replay(claimed)
        fields["currency"] = fields.get("currency") or DEFAULT_CURRENCY
        fields["spent_at"] = fields.get("spent_at") or dt.datetime.now(dt.UTC)
        tx = Transaction.record(
            transaction_id=transaction_id or uuid.uuid4(), user_id=user_id, **fields
        )
        if idempotency_key is None:
            return Saved(tx, self._save(tx))
        key = IdempotencyKey.claim(user_id=user_id, key=idempotency_key, transaction_id=tx.id)
        try:
            return Saved(tx, self._save(tx, key))
        except IntegrityError:
            claimed = self.claimed_key(user_id, idempotency_key)
            if claimed is None:  # the conflict was not on the key (e.g. a reused transaction id)
                raise
            return self._replay(claimed)

    def record_transaction(
        self,
        *,
        user_id: uuid.UUID,
        amount: Decimal,
        category: str,
        currency: str = DEFAULT_CURRENCY,
        spent_at: dt.datetime | None = None,
        description: str = "",
        merchant: str | None = None,
        transaction_id: uuid.UUID | None = None,
    ) -> tuple[uuid.UUID, int]:
        """Record a transaction; return its id and the position of the stored event."""
        saved = self.record(
            user_id=user_id,
            amount=amount,
            category=category,
            currency=currency,
            spent_at=spent_at,
            description=description,
            merchant=merchant,
            transaction_id=transaction_id,
        )
        return saved.transaction.id, saved.position

    def amend(self, transaction_id: uuid.UUID, *, user_id: uuid.UUID, **changes: Any) -> Saved:
        """Amend a transaction the user owns; nothing is appended when no field changes."""
        tx = self.owned(transaction_id, user_id)
        if not tx.amend(user_id=user_id, **changes):
            return Saved(tx, 0)
        return Saved(tx, self._save(tx))

    def amend_transaction(
        self,
        transaction_id: uuid.UUID,
        *,
        user_id: uuid.UUID,
        amount: Decimal | None = None,
        category: str | None = None,
        description: str | None = None,
    ) -> int:
        """Amend a transaction the user owns; return the position."""
        changes = {"amount": amount, "category": category, "description": description}
        return self.amend(transaction_id, user_id=user_id, **changes).position

    def delete(self, transaction_id: uuid.UUID, *, user_id: uuid.UUID) -> Saved:
        """Soft-delete a transaction the user owns."""
        tx = self.owned(transaction_id, user_id)
        tx.delete(user_id=user_id)
        return Saved(tx, self._save(tx))

    def delete_transaction(self, transaction_id: uuid.UUID, *, user_id: uuid.UUID) -> int:
        """Soft-delete a transaction the user owns; return the position."""
        return self.delete(transaction_id, user_id=user_id).position
