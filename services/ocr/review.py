"""Checking and enriching the app's receipt JSON (validate, enhance) and categorizing text."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Final

from contracts.ledger import CATEGORIES
from contracts.ocr import DISPLAY_CATEGORIES, ReceiptReview, ReviewedReceipt
from services.ocr.reading.amounts import CENT
from services.ocr.reading.merchant import CHAINS, chain_of
from shared.categorizer.categorizer import Categorizer
from shared.dates import parse_day_or_instant

#: What kind of shop each category is (the app shows it beside an enhanced receipt).
MERCHANT_TYPES: Final[dict[str, str]] = {
    "groceries": "grocery_store", "dining": "restaurant", "coffee": "cafe", "food": "food_shop",
    "gas": "gas_station", "healthcare": "pharmacy_or_clinic", "shopping": "retail",
    "clothing": "clothing_store", "personal_care": "beauty_and_care",
    "entertainment": "entertainment", "travel": "travel", "utilities": "utility_provider",
    "transportation": "transport_service", "public_transport": "public_transport",
    "taxi": "taxi", "subscriptions": "subscription_service", "education": "education",
    "insurance": "insurer", "rent": "landlord", "mortgage": "lender", "pets": "pet_store",
    "childcare": "childcare", "gifts": "gift_shop", "charity": "charity", "other": "other",
}  # fmt: skip
FUTURE_DAYS: Final = 2


def known_category(value: str | None) -> str | None:
    """A category POST /transactions/ accepts, from an api name or one of the app's display
    names (None when it is neither)."""
    if not value:
        return None
    text = value.strip()
    if text in DISPLAY_CATEGORIES:
        return DISPLAY_CATEGORIES[text]
    lowered = text.lower().replace(" ", "_")
    return lowered if lowered in CATEGORIES else None


def _date(value: str | None, today: dt.date) -> tuple[str, list[str], list[str]]:
    """The receipt date kept in the app's form; errors and warnings about it."""
    if not value:
        return today.isoformat(), ["date is missing"], []
    try:
        parsed = parse_day_or_instant(value)
    except ValueError:
        return today.isoformat(), [f"date {value!r} is not a date"], []
    day = (
        parsed
        if isinstance(parsed, dt.date) and not isinstance(parsed, dt.datetime)
        else parsed.date()
    )
    warnings = (
        [f"date {day} is in the future"] if day > today + dt.timedelta(days=FUTURE_DAYS) else []
    )
    if day.year < 2000:
        warnings.append(f"date {day} is unusually old")
    return value, [], warnings


def validate(review: ReceiptReview, categorizer: Categorizer, today: dt.date) -> dict[str, Any]:
    """The receipt validated and normalized, with ``errors`` and ``warnings``."""
    errors: list[str] = []
    warnings: list[str] = []
    merchant = " ".join((review.merchant or "").split())
    if not merchant:
        errors.append("merchant is missing")
    total = (review.total or Decimal(0)).quantize(CENT)
    if total <= 0:
        errors.append("total must be more than 0")
    date, date_errors, date_warnings = _date(review.date, today)
    errors += date_errors
    warnings += date_warnings
    category = known_category(review.category)
    if category is None:
        category = categorizer.categorize(merchant).category if merchant else "other"
        warnings.append(
            f"category {review.category!r} is not one the app records; using {category}"
        )
    items: list[dict[str, Any]] = []
    for item in review.items:
        items.append(
            {
                "name": " ".join(item.name.split()),
                "price": item.price.quantize(CENT),
                "confidence": item.confidence,
                "category": known_category(item.category) or item.category,
            }
        )
    if items and total > 0:
        summed = sum((item.price.quantize(CENT) for item in review.items), Decimal("0.00"))
        if summed != total:
            warnings.append(f"items add up to {summed}, the receipt says {total}")
    data = review.model_dump()
    data.update(
        merchant=merchant, total=total, date=date, category=category, items=items,
        valid=not errors, errors=errors, warnings=warnings,
    )  # fmt: skip
    return ReviewedReceipt.model_validate(data).model_dump()


def enhance(review: ReceiptReview, categorizer: Categorizer, today: dt.date) -> dict[str, Any]:
    """Validated, then enriched: a known chain's name, a category from the categorizer when
    the app had none, the merchant's type and category suggestions."""
    data = validate(review, categorizer, today)
    key = chain_of(data["merchant"]) if data["merchant"] else None
    if key is not None:
        data["merchant"] = CHAINS[key][0]
    suggestions = categorizer.suggest(data["merchant"], data["total"]) if data["merchant"] else []
    given = known_category(review.category)
    if (given is None or given == "other") and suggestions:
        data["category"] = suggestions[0].category
    data.update(
        enhanced=True,
        merchant_type=MERCHANT_TYPES.get(data["category"], "other"),
        spending_category=data["category"],
        category_suggestions=[s.category for s in suggestions],
    )
    return data
