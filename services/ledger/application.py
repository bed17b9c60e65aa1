"""Ledger use cases: load, decide, save; each returns the stored position."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from services.ledger.domain import Transaction
from shared.store import MitaApplication


class LedgerApplication(MitaApplication):
    """Write model of the ledger service."""

    name = "ledger"
    service = "ledger"

    def record_transaction(
        self,
        *,
        user_id: uuid.UUID,
        amount: Decimal,
        category: str,
        currency: str = "USD",
        spent_at: dt.datetime | None = None,
        description: str = "",
        merchant: str | None = None,
        transaction_id: uuid.UUID | None = None,
    ) -> tuple[uuid.UUID, int]:
        """Record a transaction; return its id and the position of the stored event."""
        tx = Transaction.record(
            transaction_id=transaction_id or uuid.uuid4(),
            user_id=user_id,
            amount=amount,
            currency=currency,
            category=category,
            spent_at=spent_at or dt.datetime.now(dt.UTC),
            description=description,
            merchant=merchant,
        )
        return tx.id, self._save(tx)

    def amend_transaction(
        self,
        transaction_id: uuid.UUID,
        *,
        user_id: uuid.UUID,
        amount: Decimal | None = None,
        category: str | None = None,
        description: str | None = None,
    ) -> int:
        """Amend a transaction the user owns."""
        tx: Transaction = self.repository.get(transaction_id)
        tx.amend(user_id=user_id, amount=amount, category=category, description=description)
        return self._save(tx)

    def delete_transaction(self, transaction_id: uuid.UUID, *, user_id: uuid.UUID) -> int:
        """Soft-delete a transaction the user owns."""
        tx: Transaction = self.repository.get(transaction_id)
        tx.delete(user_id=user_id)
        return self._save(tx)

    def _save(self, tx: Transaction) -> int:
        recordings = self.save(tx)
        return max(r.notification.id for r in recordings)
