"""Ledger request payloads (the mobile contract's field names) and request-level checks."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from services.ledger.domain import CATEGORIES, MAX_AMOUNT, MAX_TAG_LENGTH, MAX_TAGS

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


class Tolerant(BaseModel):
    """App-facing bodies: fields a route does not take are ignored (the app sends extras) and
    so never applied; wrong types or values of the fields it does take are still 422."""

    model_config = ConfigDict(extra="ignore", str_max_length=4096)


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


class TransactionCreate(TransactionUpdate):
    """``POST /transactions``: the same fields, amount and category required; a naive
    ``spent_at`` is taken in the user's timezone. ``receipt_url`` is accepted for clients that
    link a receipt; until the OCR context owns receipts it is not stored."""

    amount: Amount
    category: Category
    receipt_url: Annotated[str, StringConstraints(max_length=2048)] | None = None


def timezone_of(name: str | None) -> zoneinfo.ZoneInfo | None:
    """The zone named by an IANA name (None for none; ValueError for an unknown one)."""
    if name is None or not name.strip():
        return None
    try:
        return zoneinfo.ZoneInfo(name.strip())
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA timezone {name!r}") from exc


def valid_timezone(value: str | None) -> str | None:
    """Pydantic check of an optional IANA timezone name."""
    timezone_of(value)
    return value


Timezone = Annotated[str | None, AfterValidator(valid_timezone)]


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
