"""The installments the user tracks: the app's form (installment_models.dart:641-661), the
financial profile (:197), the list summary (:810), achievements (:884), the event names and the
schedule rule both the ledger and the budget apply. Raw bodies, not the envelope."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, BeforeValidator, Field, StringConstraints

from contracts.envelope import Tolerant, written_day
from contracts.installments import INSTALLMENT_CATEGORIES
from contracts.ledger import MAX_AMOUNT
from shared.dates import add_months

INSTALLMENT_CREATED: Final = "ledger.InstallmentCreated"
INSTALLMENT_PAYMENTS_CHANGED: Final = "ledger.InstallmentPaymentsChanged"
INSTALLMENT_STATUS_CHANGED: Final = "ledger.InstallmentStatusChanged"
INSTALLMENT_NOTES_CHANGED: Final = "ledger.InstallmentNotesChanged"
INSTALLMENT_DELETED: Final = "ledger.InstallmentDeleted"
INSTALLMENT_EVENTS: Final = frozenset(
    {INSTALLMENT_CREATED, INSTALLMENT_PAYMENTS_CHANGED, INSTALLMENT_STATUS_CHANGED,
     INSTALLMENT_NOTES_CHANGED, INSTALLMENT_DELETED}
)  # fmt: skip
PROFILE_OPENED: Final = "ledger.InstallmentProfileOpened"
PROFILE_SAVED: Final = "ledger.InstallmentProfileSaved"
CALCULATION_PERFORMED: Final = "ledger.InstallmentCalculationPerformed"
#: Every event the installment planner publishes.
PLANNER_EVENTS: Final = INSTALLMENT_EVENTS | {PROFILE_OPENED, PROFILE_SAVED, CALCULATION_PERFORMED}
FREQUENCIES: Final = ("monthly", "biweekly", "weekly")
#: Payments a year of each frequency (the monthly equivalent is payment × this / 12).
PER_YEAR: Final = {"monthly": 12, "biweekly": 26, "weekly": 52}
CENT: Final = Decimal("0.01")


def due_date(first: dt.date, frequency: str, number: int) -> dt.date:
    """The due date of payment ``number`` (1 = ``first``)."""
    if frequency == "monthly":
        return add_months(first, number - 1)
    return first + dt.timedelta(days=(14 if frequency == "biweekly" else 7) * (number - 1))


def amount_of(total: Decimal, payment: Decimal, count: int, number: int) -> Decimal:
    """Payment ``number``'s amount: ``payment``, the last one settling the total exactly."""
    return total - payment * (count - 1) if number == count else payment


def monthly_equivalent(payment: Decimal, frequency: str) -> Decimal:
    """What a payment of ``frequency`` costs a month, to the cent."""
    return (payment * PER_YEAR[frequency] / 12).quantize(CENT, rounding=ROUND_HALF_UP)


def _blank(value: Any) -> Any:
    return None if value == "" else value


Day = Annotated[dt.date, BeforeValidator(written_day)]
Positive = Annotated[Decimal, Field(gt=0, le=MAX_AMOUNT, decimal_places=2)]
Amount = Annotated[Decimal | None, Field(ge=0, le=MAX_AMOUNT, decimal_places=2),
                   BeforeValidator(_blank)]  # fmt: skip
Notes = Annotated[str, StringConstraints(max_length=1000, pattern=r"^[^\x00]*$")]
Category = Literal[
    "electronics", "clothing", "furniture", "travel", "education", "health", "groceries",
    "utilities", "other",
]  # fmt: skip
assert set(Category.__args__) == set(INSTALLMENT_CATEGORIES)  # type: ignore[attr-defined]


class InstallmentIn(Tolerant):
    """``POST /installments``: the app's whole object; ids, dates after the first, status and
    timestamps are the server's."""

    item_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                max_length=200)]  # fmt: skip
    category: Category = "other"
    total_amount: Positive
    payment_amount: Positive
    interest_rate: Annotated[Decimal, Field(ge=0, le=100, decimal_places=2)] = Decimal("0")
    total_payments: Annotated[int, Field(ge=1, le=520)]
    payments_made: Annotated[int, Field(ge=0, le=520)] = 0
    payment_frequency: Literal["monthly", "biweekly", "weekly"] = "monthly"
    first_payment_date: Day
    notes: Annotated[Notes | None, BeforeValidator(_blank)] = None


class InstallmentPatch(Tolerant):
    """``PATCH /installments/{id}``: what the app changes (installment_service.dart:606-620)."""

    payments_made: Annotated[int, Field(ge=0, le=520)] | None = None
    status: Literal["active", "completed", "cancelled"] | None = None
    notes: Annotated[Notes | None, BeforeValidator(_blank)] = None


class InstallmentOut(BaseModel):
    """An installment as the app reads it (every field required)."""

    id: str
    user_id: str
    item_name: str
    category: str
    payment_frequency: str
    status: Literal["active", "completed", "cancelled", "overdue"]
    notes: str | None
    total_amount: Decimal
    payment_amount: Decimal
    interest_rate: Decimal
    total_payments: int
    payments_made: int
    first_payment_date: str
    next_payment_date: str
    final_payment_date: str
    created_at: str
    updated_at: str


class InstallmentsSummary(BaseModel):
    """``GET /installments``."""

    total_active: int
    total_completed: int
    total_monthly_payment: Decimal
    next_payment_date: str | None
    next_payment_amount: Decimal | None
    installments: list[InstallmentOut]
    current_installment_load: Decimal
    load_message: str


class ProfileIn(Tolerant):
    """``POST /installments/profile`` (``id``, ``user_id``, ``updated_at`` are the server's)."""

    monthly_income: Amount = None
    current_balance: Annotated[
        Decimal | None, Field(ge=-MAX_AMOUNT, le=MAX_AMOUNT, decimal_places=2)
    ] = None
    age_group: Annotated[Literal["18-24", "25-34", "35-44", "45+"] | None,
                         BeforeValidator(_blank)] = None  # fmt: skip
    credit_card_debt: Amount = None
    credit_card_payment: Amount = None
    other_loans_payment: Amount = None
    rent_payment: Amount = None
    subscriptions_payment: Amount = None
    planning_mortgage: bool = False


PROFILE_FIELDS: Final = tuple(ProfileIn.model_fields)


class ProfileOut(BaseModel):
    """The saved profile."""

    id: str
    user_id: str
    monthly_income: Decimal | None
    current_balance: Decimal | None
    age_group: str | None
    credit_card_debt: Decimal | None
    credit_card_payment: Decimal | None
    other_loans_payment: Decimal | None
    rent_payment: Decimal | None
    subscriptions_payment: Decimal | None
    planning_mortgage: bool
    updated_at: str


class AchievementsOut(BaseModel):
    """``GET /installments/achievements``."""

    id: str
    user_id: str
    achievement_level: str
    installments_completed: int
    calculations_performed: int
    calculations_declined: int
    days_without_new_installment: int
    max_days_streak: int
    interest_saved: Decimal
    last_calculation_date: str | None
    updated_at: str


class CalendarPayment(BaseModel):
    """One scheduled payment of a month."""

    installment_id: str
    item_name: str
    category: str
    date: str
    payment_number: int
    amount: Decimal
    status: Literal["paid", "due", "overdue"]


class InstallmentCalendar(BaseModel):
    """``GET /installments/calendar/{year}/{month}``."""

    year: int
    month: int
    total_due: Decimal
    total_paid: Decimal
    payments: list[CalendarPayment]
    days: dict[str, list[CalendarPayment]]
