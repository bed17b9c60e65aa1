"""Installment aggregates (no I/O): a plan the user pays off, their financial profile, and
each calculation they ran (the achievements count them).

Decisions compute every value (status, clock readings) into the events; ``apply`` assigns.
An installment completes when every payment is made; ``overdue`` is derived when read.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from eventsourcing.domain import Aggregate

from contracts.installment_plans import INSTALLMENT_CREATED, PROFILE_FIELDS
from shared.envelope import registry
from shared.errors import InvalidField

PROFILE_NAMESPACE = uuid.UUID("5b0e8f5e-7d0f-4c51-9a53-34f1d0b7e6a2")
#: The plan's facts, declared once: Created carries them, ``apply`` assigns them.
PLAN_FIELDS: dict[str, Any] = {
    "item_name": str, "category": str, "payment_frequency": str, "total_amount": Decimal,
    "payment_amount": Decimal, "interest_rate": Decimal, "total_payments": int,
    "first_payment_date": dt.date,
}  # fmt: skip


class InstallmentError(Exception):
    """Base of installment domain errors."""


class InvalidInstallment(InstallmentError, InvalidField):
    """A command carried a value the installment refuses (``field`` names it)."""


class InstallmentNotFound(InstallmentError):
    """No live installment of the caller has this id."""


def profile_id(user_id: uuid.UUID) -> uuid.UUID:
    """The id of a user's installment profile."""
    return uuid.uuid5(PROFILE_NAMESPACE, str(user_id))


def _status(payments_made: int, total: int, cancelled: bool = False) -> str:
    if cancelled:
        return "cancelled"
    return "completed" if payments_made >= total else "active"


class Installment(Aggregate):
    """A purchase paid off in equal payments (the last one settles the total)."""

    class Created(Aggregate.Created):
        """The plan (``PLAN_FIELDS``), the payments already made, notes and status."""

        __annotations__ = {"user_id": uuid.UUID, **PLAN_FIELDS, "payments_made": int,
                           "notes": str | None, "status": str,
                           "created_at": dt.datetime}  # fmt: skip
        if TYPE_CHECKING:

            def __getattr__(self, name: str) -> Any: ...

        def apply(self, aggregate: Aggregate) -> None:
            """Assign the plan, the payments made, the notes and the status."""
            for name in (*PLAN_FIELDS, "payments_made", "notes", "status"):
                setattr(aggregate, name, getattr(self, name))

    class PaymentsChanged(Aggregate.Event):
        """The payments made now (and the status that follows)."""

        user_id: uuid.UUID
        payments_made: int
        status: str
        at: dt.datetime

        def apply(self, aggregate: Aggregate) -> None:
            """Assign."""
            assert isinstance(aggregate, Installment)
            aggregate.payments_made, aggregate.status = self.payments_made, self.status
            aggregate.updated_at = self.at

    class StatusChanged(Aggregate.Event):
        """Cancelled, re-activated or completed by hand (``payments_made`` as it then is)."""

        user_id: uuid.UUID
        status: str
        payments_made: int
        at: dt.datetime

        def apply(self, aggregate: Aggregate) -> None:
            """Assign."""
            assert isinstance(aggregate, Installment)
            aggregate.status, aggregate.payments_made = self.status, self.payments_made
            aggregate.updated_at = self.at

    class NotesChanged(Aggregate.Event):
        """The notes (None: cleared)."""

        user_id: uuid.UUID
        notes: str | None
        at: dt.datetime

        def apply(self, aggregate: Aggregate) -> None:
            """Assign."""
            assert isinstance(aggregate, Installment)
            aggregate.notes, aggregate.updated_at = self.notes, self.at

    class Deleted(Aggregate.Event):
        """Gone from every list and from the budget."""

        user_id: uuid.UUID
        at: dt.datetime

        def apply(self, aggregate: Aggregate) -> None:
            """Assign."""
            assert isinstance(aggregate, Installment)
            aggregate.deleted, aggregate.updated_at = True, self.at

    payments_made: int  # assigned by Created, with the plan and the rest
    notes: str | None
    status: str

    def __init__(self, user_id: uuid.UUID, created_at: dt.datetime) -> None:
        self.user_id = user_id
        self.created_at = self.updated_at = created_at
        self.deleted = False

    if TYPE_CHECKING:  # set from PLAN_FIELDS

        def __getattr__(self, name: str) -> Any: ...

    @classmethod
    def create(
        cls,
        *,
        installment_id: uuid.UUID,
        user_id: uuid.UUID,
        at: dt.datetime,
        payments_made: int = 0,
        notes: str | None = None,
        **plan: Any,
    ) -> Installment:
        """Decide a plan from the app's form."""
        total, payment, count = plan["total_amount"], plan["payment_amount"], plan["total_payments"]
        if payment * (count - 1) >= total:
            raise InvalidInstallment(
                "payment_amount × (total_payments − 1) must be less than total_amount "
                "(the last payment settles the rest)",
                "payment_amount",
            )
        if payments_made > count:
            raise InvalidInstallment("payments_made must not exceed total_payments",
                                     "payments_made")  # fmt: skip
        values = {name: plan[name] for name in PLAN_FIELDS}
        return cls._create(
            cls.Created, id=installment_id, user_id=user_id, payments_made=payments_made,
            notes=notes or None, status=_status(payments_made, count), created_at=at, **values,
        )  # fmt: skip

    def check_owner(self, user_id: uuid.UUID) -> None:
        """InstallmentNotFound unless this is a live installment of ``user_id``."""
        if self.deleted or self.user_id != user_id:
            raise InstallmentNotFound(str(self.id))

    def record_payments(self, payments_made: int, at: dt.datetime) -> bool:
        """Set the payments made (0..total); whether anything changed."""
        if payments_made > self.total_payments:
            raise InvalidInstallment("payments_made must not exceed total_payments",
                                     "payments_made")  # fmt: skip
        status = _status(payments_made, self.total_payments, self.status == "cancelled")
        if (payments_made, status) == (self.payments_made, self.status):
            return False
        self.trigger_event(self.PaymentsChanged, user_id=self.user_id,
                           payments_made=payments_made, status=status, at=at)  # fmt: skip
        return True

    def change_status(self, status: str, at: dt.datetime) -> bool:
        """Cancel, re-activate (the status the payments give) or complete (every payment made)."""
        made = self.total_payments if status == "completed" else self.payments_made
        target = "cancelled" if status == "cancelled" else _status(made, self.total_payments)
        if (target, made) == (self.status, self.payments_made):
            return False
        self.trigger_event(self.StatusChanged, user_id=self.user_id, status=target,
                           payments_made=made, at=at)  # fmt: skip
        return True

    def change_notes(self, notes: str | None, at: dt.datetime) -> bool:
        """Set or clear the notes; whether they changed."""
        if (notes or None) == self.notes:
            return False
        self.trigger_event(self.NotesChanged, user_id=self.user_id, notes=notes or None, at=at)
        return True

    def delete(self, at: dt.datetime) -> None:
        """Delete the installment."""
        self.trigger_event(self.Deleted, user_id=self.user_id, at=at)


class InstallmentProfile(Aggregate):
    """The financial facts the user gave the installment planner."""

    class Opened(Aggregate.Created):
        """The user saved a profile for the first time."""

        user_id: uuid.UUID

    class Saved(Aggregate.Event):
        """The whole profile as it now stands (``PROFILE_FIELDS``)."""

        __annotations__ = {"user_id": uuid.UUID, "fields": dict[str, Any], "at": dt.datetime}
        if TYPE_CHECKING:

            def __getattr__(self, name: str) -> Any: ...

        def apply(self, aggregate: Aggregate) -> None:
            """Assign."""
            assert isinstance(aggregate, InstallmentProfile)
            aggregate.fields, aggregate.updated_at = dict(self.fields), self.at

    def __init__(self, user_id: uuid.UUID) -> None:
        self.user_id = user_id
        self.fields: dict[str, Any] = {}
        self.updated_at: dt.datetime | None = None

    @classmethod
    def open(cls, user_id: uuid.UUID) -> InstallmentProfile:
        """Decide a new profile."""
        return cls._create(cls.Opened, id=profile_id(user_id), user_id=user_id)

    def save(self, fields: dict[str, Any], at: dt.datetime) -> bool:
        """Record the profile; whether anything changed."""
        values = {name: fields.get(name) for name in PROFILE_FIELDS}
        if values == self.fields:
            return False
        self.trigger_event(self.Saved, user_id=self.user_id, fields=values, at=at)
        return True


class InstallmentCalculation(Aggregate):
    """A calculation the user ran (what was asked and what the planner advised)."""

    class Performed(Aggregate.Created):
        """The purchase, its category, the risk level and the interest it would cost."""

        user_id: uuid.UUID
        category: str
        purchase_amount: Decimal
        risk_level: str
        total_interest: Decimal
        performed_at: dt.datetime

    def __init__(
        self,
        user_id: uuid.UUID,
        category: str,
        purchase_amount: Decimal,
        risk_level: str,
        total_interest: Decimal,
        performed_at: dt.datetime,
    ) -> None:
        self.user_id, self.category, self.risk_level = user_id, category, risk_level
        self.purchase_amount, self.total_interest = purchase_amount, total_interest
        self.performed_at = performed_at

    @classmethod
    def perform(
        cls, *, user_id: uuid.UUID, at: dt.datetime, **facts: Any
    ) -> InstallmentCalculation:
        """Decide the record of one calculation."""
        return cls._create(cls.Performed, id=uuid.uuid4(), user_id=user_id, performed_at=at,
                           **facts)  # fmt: skip


registry.register_aggregate("ledger", Installment)
registry.register("ledger", Installment.Created, INSTALLMENT_CREATED)
registry.register_aggregate("ledger", InstallmentProfile)
registry.register_aggregate("ledger", InstallmentCalculation)
