"""Installment use cases on the ledger's store: load, decide, save; each returns the
installment (or profile) and the stored position (0 when nothing changed)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from eventsourcing.application import AggregateNotFoundError

from services.ledger.installments.domain import (
    Installment,
    InstallmentCalculation,
    InstallmentNotFound,
    InstallmentProfile,
    profile_id,
)


@dataclass(frozen=True)
class SavedInstallment:
    """A use case's installment and its last stored position (0: nothing appended)."""

    installment: Installment
    position: int


def now() -> dt.datetime:
    """The clock the decisions read (one reading per command)."""
    return dt.datetime.now(dt.UTC)


class InstallmentCases:
    """The installment use cases, mixed into the ledger's application (one store, one outbox)."""

    repository: Any

    def _save(self, *aggregates: Any) -> int:
        raise NotImplementedError  # provided by LedgerApplication

    def owned_installment(self, installment_id: uuid.UUID, user_id: uuid.UUID) -> Installment:
        """A live installment of ``user_id`` (InstallmentNotFound otherwise)."""
        try:
            found: Any = self.repository.get(installment_id)
        except AggregateNotFoundError:
            raise InstallmentNotFound(str(installment_id)) from None
        if not isinstance(found, Installment):
            raise InstallmentNotFound(str(installment_id))
        found.check_owner(user_id)
        return found

    def create_installment(self, *, user_id: uuid.UUID, **form: Any) -> SavedInstallment:
        """Create an installment from the app's form."""
        made = Installment.create(installment_id=uuid.uuid4(), user_id=user_id, at=now(), **form)
        return SavedInstallment(made, self._save(made))

    def update_installment(
        self,
        installment_id: uuid.UUID,
        *,
        user_id: uuid.UUID,
        payments_made: int | None = None,
        status: str | None = None,
        notes: str | None = None,
        set_notes: bool = False,
    ) -> SavedInstallment:
        """Change the payments made, the status and/or the notes of the caller's installment."""
        found = self.owned_installment(installment_id, user_id)
        at = now()
        changed = payments_made is not None and found.record_payments(payments_made, at)
        changed = (status is not None and found.change_status(status, at)) or changed
        changed = (set_notes and found.change_notes(notes, at)) or changed
        return SavedInstallment(found, self._save(found) if changed else 0)

    def delete_installment(self, installment_id: uuid.UUID, *, user_id: uuid.UUID) -> int:
        """Delete the caller's installment; the position."""
        found = self.owned_installment(installment_id, user_id)
        found.delete(now())
        return self._save(found)

    def installment_profile(self, user_id: uuid.UUID) -> InstallmentProfile | None:
        """The user's installment profile, if saved."""
        try:
            found: InstallmentProfile = self.repository.get(profile_id(user_id))
        except AggregateNotFoundError:
            return None
        return found

    def save_installment_profile(
        self, user_id: uuid.UUID, fields: dict[str, Any]
    ) -> tuple[InstallmentProfile, int]:
        """Save the user's profile; it and the position (0: unchanged)."""
        profile = self.installment_profile(user_id) or InstallmentProfile.open(user_id)
        changed = profile.save(fields, now())
        return profile, self._save(profile) if changed else 0

    def record_calculation(
        self, user_id: uuid.UUID, *, category: str, purchase_amount: Decimal, risk_level: str,
        total_interest: Decimal,
    ) -> int:  # fmt: skip
        """Record one calculation the user ran; the position."""
        done = InstallmentCalculation.perform(
            user_id=user_id, at=now(), category=category, purchase_amount=purchase_amount,
            risk_level=risk_level, total_interest=total_interest,
        )  # fmt: skip
        return self._save(done)
