"""The OCR context's published contract: receipt answers, the app's receipt JSON, event names
and the payload fields consumers read (the ledger's automatic recording)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Final, Literal, TypedDict

from pydantic import BaseModel, BeforeValidator, Field, StringConstraints

from contracts.envelope import Tolerant

# Event names the OCR service publishes (topic mita.ocr.events, key = receipt id).
RECEIPT_UPLOADED: Final = "ocr.ReceiptUploaded"
RECEIPT_PROCESSED: Final = "ocr.ReceiptProcessed"
RECEIPT_FAILED: Final = "ocr.ReceiptFailed"
RECEIPT_IMAGE_DELETED: Final = "ocr.ReceiptImageDeleted"
RECEIPT_EVENTS: Final = frozenset(
    {RECEIPT_UPLOADED, RECEIPT_PROCESSED, RECEIPT_FAILED, RECEIPT_IMAGE_DELETED}
)
Status = Literal["queued", "processing", "completed", "failed"]
#: The image route's path, under the public API (``receipt_url`` of a recorded transaction).
IMAGE_PATH: Final = "/api/transactions/receipt/{receipt_id}/image"
#: The display names the app's category pickers hold, and the transaction category of each.
DISPLAY_CATEGORIES: Final[dict[str, str]] = {
    "Food & Dining": "food",
    "Transportation": "transportation",
    "Entertainment": "entertainment",
    "Health & Fitness": "healthcare",
    "Shopping": "shopping",
    "Bills & Utilities": "utilities",
    "Education": "education",
    "Travel": "travel",
    "Personal Care": "personal_care",
    "Other": "other",
}


class ProcessedPayload(TypedDict, total=False):
    """Payload fields of ``ocr.ReceiptProcessed`` that consumers read (money as strings)."""

    user_id: str
    auto_record: bool
    total: str | None
    currency: str | None
    merchant: str | None
    category: str
    date: str | None
    time: str | None
    confidence: float


class ReceiptItemOut(BaseModel):
    """One bought line of a parsed receipt."""

    name: str
    quantity: Decimal
    unit_price: Decimal | None = None
    price: Decimal
    confidence: float
    category: str | None = None


class ReceiptMetadata(BaseModel):
    """How the receipt was read."""

    engine: str
    languages: list[str] = Field(default_factory=list)
    processing_time_ms: int
    attempts: int = 1
    categorizer: str | None = None
    category_source: str | None = None


class ReceiptOut(BaseModel):
    """A receipt job: its status and, once completed, what was read (the app's OCRResult)."""

    job_id: str
    receipt_id: str
    status: Status
    progress: float
    error: str | None = None
    error_code: str | None = None
    merchant: str | None = None
    merchant_normalized: str | None = None
    total: Decimal | None = None
    currency: str | None = None
    date: str | None = None
    time: str | None = None
    category: str = "other"
    category_confidence: float = 0.0
    merchant_confidence: float = 0.0
    total_confidence: float = 0.0
    date_confidence: float = 0.0
    currency_confidence: float = 0.0
    confidence: float = 0.0
    items: list[ReceiptItemOut] = Field(default_factory=list)
    raw_text: str = ""
    receipt_image_path: str | None = None
    is_premium_processing: bool = False
    auto_record: bool = False
    needs_review: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    metadata: ReceiptMetadata | None = None
    created_at: dt.datetime
    updated_at: dt.datetime


class ReceiptBatchOut(BaseModel):
    """``POST /transactions/receipt/batch``: one job per image."""

    jobs: list[ReceiptOut]
    total: int
    processed: int
    failed: int


class ReceiptImageOut(BaseModel):
    """Where the receipt's image can be fetched: a signed, short-lived URL."""

    receipt_id: str
    url: str
    content_type: str
    expires_at: dt.datetime


class ReceiptImageDeletedOut(BaseModel):
    """``DELETE /transactions/receipt/{id}/image``."""

    deleted: bool
    receipt_id: str


def _confidence(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


Confidence = Annotated[
    Literal["high", "medium", "low"] | Annotated[float, Field(ge=0, le=1)] | None,
    BeforeValidator(_confidence),
]
Text = Annotated[str, StringConstraints(max_length=200)]


class ReviewItem(Tolerant):
    """One item of the app's receipt JSON."""

    name: Annotated[str, StringConstraints(max_length=300)] = ""
    price: Annotated[Decimal, Field(ge=0, le=Decimal("1000000000"))] = Decimal(0)
    confidence: Confidence = None
    category: Text | None = None


class ReceiptReview(Tolerant):
    """The app's receipt JSON (``OCRResult.toJson``), sent to validate and enhance."""

    merchant: Text | None = None
    total: Annotated[Decimal, Field(ge=0, le=Decimal("1000000000"))] | None = None
    date: Annotated[str, StringConstraints(max_length=64)] | None = None
    category: Text | None = None
    items: Annotated[list[ReviewItem], Field(max_length=500)] = Field(default_factory=list)
    merchant_confidence: Confidence = None
    total_confidence: Confidence = None
    date_confidence: Confidence = None
    category_confidence: Confidence = None
    raw_text: Annotated[str, StringConstraints(max_length=100_000)] = ""
    is_premium_processing: bool = False
    receipt_image_path: Annotated[str, StringConstraints(max_length=2048)] | None = None
    metadata: dict[str, Any] | None = None


class ReviewedItem(BaseModel):
    """An item as validate/enhance return it."""

    name: str
    price: Decimal
    confidence: str | float | None = None
    category: str | None = None


class ReviewedReceipt(BaseModel):
    """The app's receipt JSON, validated and normalized (same fields, same types)."""

    merchant: str
    total: Decimal
    date: str
    category: str
    items: list[ReviewedItem]
    merchant_confidence: str | float | None = None
    total_confidence: str | float | None = None
    date_confidence: str | float | None = None
    category_confidence: str | float | None = None
    raw_text: str
    is_premium_processing: bool
    receipt_image_path: str | None = None
    metadata: dict[str, Any] | None = None
    valid: bool
    errors: list[str]
    warnings: list[str]
    enhanced: bool = False
    merchant_type: str | None = None
    spending_category: str | None = None
    category_suggestions: list[str] = Field(default_factory=list)


class CategorizeRequest(Tolerant):
    """``POST /ocr/categorize``: what was bought, and for how much (optional)."""

    description: Annotated[str, StringConstraints(max_length=500)] = ""
    amount: Annotated[Decimal, Field(ge=0, le=Decimal("1000000000"))] | None = None


class CategorySuggestion(BaseModel):
    """One category for a text, how sure (0..1), and why."""

    category: str
    confidence: float
    reason: str
    source: str


class CategorizeOut(BaseModel):
    """Category names, best first (the app reads ``suggestions``), and their details."""

    suggestions: list[str]
    categories: list[CategorySuggestion]
    model_version: str
