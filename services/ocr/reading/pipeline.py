"""One receipt read end to end: image → engine → parser → categorizer → the reading.

The reading is a JSON-ready dict (money as exact strings) stored in ``ReceiptProcessed``.
"""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from typing import Any

from services.ocr.reading.engines import Engine, EngineFailed
from services.ocr.reading.images import for_ocr
from services.ocr.reading.receipt import ParsedReceipt, parse
from shared.categorizer.categorizer import Categorizer, Suggestion, model_version


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def categorize(parsed: ParsedReceipt, categorizer: Categorizer) -> Suggestion:
    """The receipt's category: from the merchant as printed or as named, else from what was
    bought."""
    merchant = parsed.merchant
    best: Suggestion | None = None
    for text in (merchant.printed, merchant.name) if merchant else ():
        found = categorizer.categorize(text)
        if found.source == "rule" or found.confidence >= 0.5:
            return found
        best = found if best is None or found.confidence > best.confidence else best
    bought = " ".join(item.name for item in parsed.items)
    if bought:
        by_items = categorizer.categorize(f"{merchant.name if merchant else ''} {bought}".strip())
        if best is None or by_items.confidence > best.confidence:
            return by_items
    return best or Suggestion("other", 0.0, "fallback", "nothing to categorize")


def reading_of(
    parsed: ParsedReceipt, suggestion: Suggestion, categorizer: Categorizer, raw_text: str
) -> dict[str, Any]:
    """The stored reading of a parsed receipt."""
    merchant = parsed.merchant
    items = []
    for item in parsed.items:
        guess = categorizer.categorize(item.name)
        # A product name the categorizer is unsure of belongs where the shop does.
        category = guess.category if guess.confidence >= 0.5 else suggestion.category
        items.append(
            {
                "name": item.name,
                "quantity": str(item.quantity),
                "unit_price": _money(item.unit_price),
                "price": _money(item.price),
                "confidence": item.confidence,
                "category": category,
            }
        )
    scores = [
        merchant.confidence if merchant else 0.0,
        parsed.total_confidence,
        parsed.date_confidence,
        suggestion.confidence,
    ]
    return {
        "merchant": merchant.name if merchant else None,
        "merchant_normalized": merchant.key if merchant else None,
        "merchant_confidence": merchant.confidence if merchant else 0.0,
        "total": _money(parsed.total),
        "total_confidence": parsed.total_confidence,
        "currency": parsed.currency,
        "currency_confidence": parsed.currency_confidence,
        "date": parsed.date.isoformat() if parsed.date else None,
        "date_confidence": parsed.date_confidence,
        "time": parsed.time,
        "category": suggestion.category,
        "category_confidence": suggestion.confidence,
        "category_source": suggestion.source,
        "confidence": round(sum(scores) / len(scores), 3),
        "items": items,
        "raw_text": raw_text,
        "needs_review": parsed.needs_review(suggestion.confidence),
        "warnings": list(parsed.warnings),
        "categorizer": model_version(),
    }


def read_receipt(
    image: bytes, engine: Engine, categorizer: Categorizer, today: dt.date | None = None
) -> dict[str, Any]:
    """Read a stored (clean) image: the reading, with the engine, languages and time taken."""
    started = time.perf_counter()
    extraction = engine.extract(for_ocr(image))
    if not any(len(line.text) >= 3 for line in extraction.lines):
        raise EngineFailed("no text was found on the image")
    parsed = parse(extraction.lines, today)
    suggestion = categorize(parsed, categorizer)
    reading = reading_of(parsed, suggestion, categorizer, extraction.text)
    reading.update(
        engine=extraction.engine,
        languages=list(extraction.languages),
        processing_time_ms=round((time.perf_counter() - started) * 1000),
    )
    return reading
