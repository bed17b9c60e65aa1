"""The ledger's published contract: transaction categories and limits, the request models of
its API (the mobile contract's field names), request-level checks, and its event names with
the payload fields consumers read."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal
from typing import Annotated, Any, Final, TypedDict

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from contracts.envelope import Tolerant, stored_type
from shared.dates import timezone_of

#: The categories the app sends: the top-level ones and the finer names (mobile-api.md).
TOP_CATEGORIES: Final = frozenset(
    {
        "food", "transportation", "entertainment", "healthcare", "shopping", "utilities",
        "education", "travel", "other",
    }
)  # fmt: skip
FINE_CATEGORIES: Final = frozenset(
    {
        "dining", "groceries", "coffee", "gas", "public_transport", "taxi", "clothing",
        "insurance", "rent", "mortgage", "childcare", "pets", "subscriptions", "gifts", "charity",
        "personal_care",
    }
)  # fmt: skip
CATEGORIES: Final = TOP_CATEGORIES | FINE_CATEGORIES
MAX_AMOUNT: Final = Decimal("1000000000")
MAX_TAGS: Final = 20
MAX_TAG_LENGTH: Final = 50

# Event names the ledger publishes (topic mita.ledger.events, key = transaction id).
TRANSACTION_RECORDED: Final = "ledger.TransactionRecorded"
TRANSACTION_AMENDED: Final = "ledger.TransactionAmended"
TRANSACTION_DELETED: Final = "ledger.TransactionDeleted"
TRANSACTION_EVENTS: Final = frozenset(
    {TRANSACTION_RECORDED, TRANSACTION_AMENDED, TRANSACTION_DELETED}
)


class TransactionPayload(TypedDict, total=False):
    """Payload fields of the transaction events that consumers read.

    Recorded carries them all; Amended carries the changed ones (None: unchanged); Deleted only
    ``user_id``. Amounts are exact decimal strings, times ISO-8601 with an offset.
    """

    user_id: str
    amount: str | None
    currency: str | None
    category: str | None
    spent_at: str | None
    description: str | None
    merchant: str | None


MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
MAX_SUGGESTIONS = 50
IDEMPOTENCY_KEY_MAX = 255


def _known_category(value: str) -> str:
    if value not in CATEGORIES:
        raise ValueError(f"unknown category {value!r}")
    return value


Amount = Annotated[Decimal, Field(gt=0, le=MAX_AMOUNT, decimal_places=2)]
Category = Annotated[
    str,
    Field(json_schema_extra={"enum": sorted(CATEGORIES)}),
    AfterValidator(_known_category),
]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$")]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Notes = Annotated[str, StringConstraints(max_length=2000)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_TAG_LENGTH)]
Tags = Annotated[list[Tag], Field(max_length=MAX_TAGS)]


Confidence = Annotated[Decimal, Field(ge=0, le=1)]
ReceiptUrl = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2048)]
#: A receipt link: the path of a receipt's image (an absolute URL ending in it is taken too).
RECEIPT_URL: Final = re.compile(
    r"^(?:https?://[^/\s]+)?/api/transactions/receipt/"
    r"(?P<id>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})/image$"
)


def receipt_of(url: str) -> uuid.UUID | None:
    """The receipt id a ``receipt_url`` names (None when it names none)."""
    match = RECEIPT_URL.match(url.strip())
    return uuid.UUID(match["id"]) if match else None


class TransactionUpdate(Tolerant):
    """``PUT /transactions/{id}``: any subset of the create fields (null: unchanged)."""

    amount: Amount | None = None
    category: Category | None = None
    description: Description | None = None
    spent_at: dt.datetime | None = None
    merchant: Name | None = None
    notes: Notes | None = None
    location: Name | None = None
    tags: Tags | None = None
    goal_id: uuid.UUID | None = None
    currency: Currency | None = None
    is_recurring: bool | None = None
    confidence_score: Confidence | None = None
    receipt_url: ReceiptUrl | None = None


class TransactionCreate(TransactionUpdate):
    """``POST /transactions``: the same fields, amount and category required; a naive
    ``spent_at`` is taken in the user's timezone. ``receipt_url`` links one of the caller's
    own receipts (``/api/transactions/receipt/{id}/image``, as the OCR service names it)."""

    amount: Amount
    category: Category


#: The transaction's own fields, in the order the request model declares them. This is their one
#: declaration: the ledger's events, aggregate, commands, read-model columns and answers derive
#: from it (``TransactionOut`` is the answer's shape; a contract test holds it to this list).
TRANSACTION_FIELDS: Final = tuple(TransactionUpdate.model_fields)


#: Field name -> the Python type of its value (Decimal, str, datetime, UUID, bool, list).
FIELD_TYPES: Final[dict[str, type]] = {
    name: stored_type(info.annotation) for name, info in TransactionUpdate.model_fields.items()
}


def header_timezone(value: str | None) -> str | None:
    """Pydantic check of the optional ``X-User-Timezone`` (blank: none)."""
    timezone_of(value, blank_is_none=True)
    return value


Timezone = Annotated[str | None, AfterValidator(header_timezone)]


def valid_idempotency_key(value: str | None) -> str | None:
    """An Idempotency-Key: 1..255 visible ASCII characters (None when not sent)."""
    if value is None:
        return None
    if not 0 < len(value) <= IDEMPOTENCY_KEY_MAX or not all(" " < c <= "~" for c in value):
        raise ValueError(f"Idempotency-Key must be 1..{IDEMPOTENCY_KEY_MAX} visible characters")
    return value


IdempotencyKeyHeader = Annotated[str | None, AfterValidator(valid_idempotency_key)]


def clamp_limit(limit: int, upper: int = MAX_LIMIT) -> int:
    """A page size clamped to 1..upper."""
    return min(max(limit, 1), upper)


def fields_set(model: BaseModel) -> dict[str, Any]:
    """Fields the caller set, as Python values (Decimal kept exact)."""
    return model.model_dump(exclude_unset=True)


class TransactionOut(BaseModel):
    """The transaction object the app reads."""

    id: str
    user_id: str
    category: str
    amount: Decimal
    currency: str
    description: str
    merchant: str | None = None
    location: str | None = None
    tags: list[str] = Field(default_factory=list)
    notes: str | None = None
    is_recurring: bool = False
    confidence_score: Decimal | None = None
    receipt_url: str | None = None
    goal_id: str | None = None
    spent_at: dt.datetime
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None


class RecordedTransaction(TransactionOut):
    """``POST /transactions``: the object and what the budget did with it
    (``meta.balance_impact`` beside ``data``)."""

    rebalanced: bool = False
    rebalance_covered: Decimal = Decimal("0.00")
    rebalance_fully_covered: bool = False


class DeletedTransaction(BaseModel):
    """``DELETE /transactions/{id}``."""

    deleted: bool
    transaction_id: str
