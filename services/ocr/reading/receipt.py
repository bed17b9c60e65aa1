"""Parse OCR text into a receipt: merchant, total, currency, date, time, items, confidences."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from services.ocr.reading.amounts import CENT, amounts_in, currency_of, last_amount
from services.ocr.reading.dates import find_date, find_time
from services.ocr.reading.merchant import Merchant, find_merchant
from shared.categorizer.rules import tokens

REVIEW_BELOW: Final = 0.6
STRONG_TOTAL: Final = (
    "grand total", "total due", "amount due", "balance due", "total to pay", "to pay",
    "обща сума", "за плащане", "всичко", "summe", "totale", "gesamt", "total a pagar",
)  # fmt: skip
WEAK_TOTAL: Final = ("total", "общо", "сума", "amount", "sum", "betrag")
NOT_TOTAL: Final = (
    "subtotal", "sub total", "sub-total", "междинна", "tax", "vat", "ддс", "change", "ресто",
    "cash", "в брой", "tip", "discount", "отстъпка", "savings", "получени", "card", "карта",
    "items", "артикули", "tendered", "paid", "платени", "bonus", "точки", "points", "mwst",
    "net", "нето", "бакшиш",
)  # fmt: skip
QUANTITY: Final = re.compile(
    r"^\s*(?P<q>\d{1,4}(?:[.,]\d{1,3})?)\s*(?:бр\.?|pcs|kg|кг)?\s*[xXхХ×@*]\s*"
    r"(?P<unit>\d+[.,]\d{2})\b"
)
TAX_LETTER: Final = re.compile(r"\s+[АБВГAБBVГ*]\s*$")
STRAY_SIGN: Final = re.compile(r"\d[.,]\d{2}\s*[^\w\s.,]$|\d[.,]\d{2}\s+[6€#&]$")


# Cyrillic letters OCR confuses with Latin ones ("ТАХ" for TAX): keywords and text are compared
# with both mapped to one form.
LOOKALIKES: Final = str.maketrans("авекмнорстух", "abekmhopctyx")


def skeleton(words: tuple[str, ...]) -> tuple[str, ...]:
    """Words with Cyrillic lookalike letters written as their Latin twins."""
    return tuple(w.translate(LOOKALIKES) for w in words)


def _phrases(words: tuple[str, ...], keys: tuple[str, ...]) -> bool:
    words = skeleton(words)
    for key in keys:
        phrase = skeleton(tokens(key))
        n = len(phrase)
        if any(words[i : i + n] == phrase for i in range(len(words) - n + 1)):
            return True
    return False


@dataclass(frozen=True)
class Line:
    """One line of OCR text and the engine's confidence in it (0..1)."""

    text: str
    confidence: float = 0.9


@dataclass
class ParsedItem:
    """One bought line of a receipt."""

    name: str
    price: Decimal
    quantity: Decimal = Decimal(1)
    unit_price: Decimal | None = None
    confidence: float = 0.9
    category: str | None = None


@dataclass
class ParsedReceipt:
    """What the parser read, each field with its confidence (0..1)."""

    merchant: Merchant | None
    total: Decimal | None
    total_confidence: float
    currency: str | None
    currency_confidence: float
    date: dt.date | None
    date_confidence: float
    time: str | None
    items: list[ParsedItem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def needs_review(self, category_confidence: float) -> list[str]:
        """The fields whose confidence is under the review threshold."""
        merchant = self.merchant.confidence if self.merchant else 0.0
        scores = {
            "merchant": merchant,
            "total": self.total_confidence,
            "date": self.date_confidence,
            "currency": self.currency_confidence,
            "category": category_confidence,
        }
        return [name for name, score in scores.items() if score < REVIEW_BELOW]


def _total_tier(words: tuple[str, ...]) -> int:
    """2 for a payable-total line, 1 for a plain total line, 0 otherwise."""
    if _phrases(words, STRONG_TOTAL):
        return 2
    if _phrases(words, NOT_TOTAL):
        return 0
    return 1 if _phrases(words, WEAK_TOTAL) else 0


def find_total(lines: list[Line]) -> tuple[Decimal | None, float, int | None]:
    """The payable total, how sure, and its line (subtotal, tax and change lines never)."""
    best: tuple[int, int, Decimal] | None = None
    for index, line in enumerate(lines):
        words = tokens(line.text)
        tier = _total_tier(words)
        if tier == 0:
            continue
        amount = last_amount(line.text)
        if amount is None and index + 1 < len(lines) and not tokens(lines[index + 1].text)[:1]:
            amount = last_amount(lines[index + 1].text)
        if amount is None or amount <= 0:
            continue
        if best is None or tier > best[0] or tier == best[0]:
            best = (tier, index, amount)
    if best is not None:
        tier, index, amount = best
        sure = (0.95 if tier == 2 else 0.85) * min(1.0, 0.5 + lines[index].confidence / 2)
        return amount, round(sure, 2), index
    fallback = [
        (a, i)
        for i, line in enumerate(lines)
        if not _phrases(tokens(line.text), NOT_TOTAL)
        for a in amounts_in(line.text)
    ]
    if not fallback:
        return None, 0.0, None
    amount, index = max(fallback)
    return amount, 0.4, index


def find_items(lines: list[Line], start: int, end: int) -> list[ParsedItem]:
    """Bought lines between the header and the total (a quantity line joins its item)."""
    items: list[ParsedItem] = []
    pending: tuple[Decimal, Decimal] | None = None
    for line in lines[start:end]:
        text = line.text.strip()
        quantity = QUANTITY.match(text)
        if quantity is not None:
            q = Decimal(quantity["q"].replace(",", "."))
            unit = Decimal(quantity["unit"].replace(",", ".")).quantize(CENT)
            last = items[-1] if items else None
            if (
                last is not None
                and last.unit_price is None
                and (q * unit).quantize(CENT) == last.price
            ):
                last.quantity, last.unit_price = q.normalize(), unit
            else:
                pending = (q.normalize(), unit)
            continue
        words = tokens(text)
        if not words or _total_tier(words) or _phrases(words, NOT_TOTAL):
            continue
        price = last_amount(text)
        if price is None:
            continue
        name = _item_name(text)
        if name is None:
            continue
        item = ParsedItem(name, price, confidence=round(line.confidence, 2))
        if pending is not None:
            item.quantity, item.unit_price = pending
            pending = None
        items.append(item)
    return items


def _item_name(text: str) -> str | None:
    prices = list(re.finditer(r"\d+\s?[.,]\s?\d{2}", text))
    head = text[: prices[-1].start()] if prices else text
    head = TAX_LETTER.sub("", head).strip(" .:*-\t")
    letters = re.findall(r"[^\W\d_]", head)
    return head if len(letters) >= 2 else None


def parse(lines: list[Line], today: dt.date | None = None) -> ParsedReceipt:
    """Read a receipt from its OCR lines."""
    texts = [line.text for line in lines]
    confidences = [line.confidence for line in lines]
    full = "\n".join(texts)
    currency, currency_sure = currency_of(full)
    merchant = find_merchant(texts, confidences)
    total, total_sure, total_line = find_total(lines)
    month_first = currency == "USD"
    found = find_date(texts, month_first, today)
    start = max((merchant.line + 1) if merchant else 0, (found.line + 1) if found else 0)
    end = total_line if total_line is not None else len(lines)
    items = find_items(lines, start, end)
    receipt = ParsedReceipt(
        merchant=merchant,
        total=total,
        total_confidence=total_sure,
        currency=currency,
        currency_confidence=currency_sure,
        date=found.value if found else None,
        date_confidence=found.confidence if found else 0.0,
        time=find_time(texts, found.line if found else None),
        items=items,
    )
    if total is not None and items:
        summed = sum((i.price for i in items), Decimal("0.00"))
        if summed == total:
            receipt.total_confidence = min(0.99, round(receipt.total_confidence + 0.05, 2))
        else:
            receipt.warnings.append(f"items add up to {summed}, the receipt says {total}")
    if total is None:
        receipt.warnings.append("no total found")
    elif currency is None and total_line is not None and STRAY_SIGN.search(lines[total_line].text):
        # Something sits where the currency goes and is none we know: most often a euro sign
        # the engine could not read. A guess, flagged for review.
        receipt.currency, receipt.currency_confidence = "EUR", 0.5
    return receipt
