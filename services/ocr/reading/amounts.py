"""Money in receipt text: amounts (comma or dot decimals, thousands groups) and currencies."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Final

CENT: Final = Decimal("0.01")
# OCR misreads inside numbers (a Cyrillic з for 3, O for 0, l for 1, S for 5).
DIGIT_LOOKALIKES: Final = str.maketrans({"O": "0", "О": "0", "o": "0", "о": "0", "з": "3",
                                          "З": "3", "l": "1", "I": "1", "S": "5"})  # fmt: skip
AMOUNT: Final = re.compile(
    r"(?<![\d.,])(?P<int>\d{1,3}(?:[.,'’]\d{3})+|\d+)\s?[.,]\s?(?P<dec>\d{2})"
    r"(?P<glued>[БбBbВв]|(?<=\d{2})[568](?=\s|$))?(?![\d])(?!\s?%)"
)  # a number followed by % is a rate (a VAT line read without its letters), never money
LOOKALIKE_NUMBER: Final = re.compile(r"(?<=\s)[OОoозЗlIS\d]{1,6}[.,][OОoоlIS\d]{2}(?=\s|$|[БбBb])")
CURRENCY_MARKS: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    (re.compile(r"\bBGN\b|\bлв\.?(?!\w)|\bлева\b", re.IGNORECASE), "BGN"),
    # A lone E after an amount is how OCR often reads a printed euro sign.
    (
        re.compile(
            r"€|\bEUR\b|\bевро\b|\bEURO\b|(?<=\d\d)\s?[EЕ](?=\s*$)", re.IGNORECASE | re.MULTILINE
        ),
        "EUR",
    ),
    (re.compile(r"£|\bGBP\b"), "GBP"),
    (re.compile(r"\$|\bUSD\b"), "USD"),
    (re.compile(r"\bRON\b|\blei\b", re.IGNORECASE), "RON"),
    (re.compile(r"\bCHF\b"), "CHF"),
    (re.compile(r"\bPLN\b|\bzł\b"), "PLN"),
)


def _decimal(integer: str, decimals: str) -> Decimal | None:
    digits = re.sub(r"[ .,'’]", "", integer)
    try:
        return Decimal(f"{digits}.{decimals}").quantize(CENT)
    except InvalidOperation:
        return None


def amounts_in(line: str) -> list[Decimal]:
    """Every amount with two decimals in a line, left to right."""
    fixed = LOOKALIKE_NUMBER.sub(lambda m: m.group(0).translate(DIGIT_LOOKALIKES), f" {line}")
    out: list[Decimal] = []
    for match in AMOUNT.finditer(fixed):
        value = _decimal(match.group("int"), match.group("dec"))
        if value is not None:
            out.append(value)
    return out


def last_amount(line: str) -> Decimal | None:
    """The rightmost amount of a line (where receipts print a line's price)."""
    found = amounts_in(line)
    return found[-1] if found else None


def currency_of(text: str) -> tuple[str | None, float]:
    """The currency a receipt's text names most, and how sure (None when it names none)."""
    counts = {code: len(p.findall(text)) for p, code in CURRENCY_MARKS}
    best = max(counts, key=lambda c: counts[c])
    if counts[best] == 0:
        return None, 0.0
    share = counts[best] / sum(counts.values())
    return best, round(0.6 + 0.35 * share, 2)
