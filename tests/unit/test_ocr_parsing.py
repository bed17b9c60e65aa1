"""The receipt parser on OCR-like text: totals, amounts, currencies, dates, merchants, items."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from services.ocr.reading.amounts import amounts_in, currency_of, last_amount
from services.ocr.reading.dates import dates_in, find_date, find_time
from services.ocr.reading.merchant import chain_of, find_merchant
from services.ocr.reading.receipt import Line, find_total, parse

BG_RECEIPT = """КАУФЛАНД БЪЛГАРИЯ ЕООД
ул. Витоша 12, София
ДАТА: 05.08.2026 13:19
2.000 x 1,50
ХЛЯБ ДОБРУДЖА 3,00 Б
СИРЕНЕ 7,256
ДДС Б = 20,00% 1,71
ОБЩА СУМА 10,25 лв
В БРОЙ 20,00
РЕСТО 9,75"""

EN_RECEIPT = """STARBUCKS COFFEE
123 MAIN STREET
DATE: 12/01/2026 07:56
CAFFE LATTE 4.95
  2 @ 3.25
BLUEBERRY MUFFIN 6.50
SUBTOTAL 11.45
TAX 0.92
TOTAL $12.37
CASH 20.00
CHANGE 7.63"""


def lines(text: str, confidence: float = 0.9) -> list[Line]:
    """OCR lines of a text."""
    return [Line(t, confidence) for t in text.splitlines()]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("TOTAL $203.06", ["203.06"]),
        ("1,234.56", ["1234.56"]),
        ("1.234,56 лв", ["1234.56"]),
        ("ШОКОЛАД з8,14 Б", ["38.14"]),
        ("ПАРАЦЕТАМОЛ 2,256", ["2.25"]),
        ("ЯБЪЛКИ 15,71Б", ["15.71"]),
        ("TOTAL 12.5O", ["12.50"]),
        ("2.000 x 46,07", ["46.07"]),
        # A rate is not money: "20,00%" on a VAT line is never an amount (nor an item's price
        # when the OCR reads the line's letters as Latin: "HOC 6 = 20,00% 2435").
        ("ДДС B = 20,00% 26,44", ["26.44"]),
        ("HOC 6 = 20,00% 2435", []),
        ("VAT 20.00 % 3.10", ["3.10"]),
        ("UNLEADED 95 100.71", ["100.71"]),
        ("no money here 12 34", []),
    ],
)
def test_amounts_in_receipt_lines(text: str, expected: list[str]) -> None:
    assert amounts_in(text) == [Decimal(e) for e in expected]


def test_last_amount_is_the_line_price() -> None:
    assert last_amount("2 x 1.50 3.00") == Decimal("3.00")
    assert last_amount("THANK YOU") is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("ОБЩА СУМА 10,25 лв", "BGN"),
        ("TOTAL 5.00 BGN", "BGN"),
        ("ОБЩА СУМА 13,40 €", "EUR"),
        ("ОБЩА СУМА 13,40 Е", "EUR"),
        ("TOTAL EUR 9.99", "EUR"),
        ("TOTAL £4.20", "GBP"),
        ("TOTAL $12.37", "USD"),
        ("TOTAL 12.37", None),
    ],
)
def test_currency_of(text: str, code: str | None) -> None:
    assert currency_of(text)[0] == code


@pytest.mark.parametrize(
    ("text", "month_first", "day"),
    [
        ("DATE: 2026-10-05 07:56", True, dt.date(2026, 10, 5)),
        ("05.08.2026", True, dt.date(2026, 8, 5)),  # dots: always day first
        ("05/08/2026", False, dt.date(2026, 8, 5)),
        ("05/08/2026", True, dt.date(2026, 5, 8)),
        ("13/08/2026", True, dt.date(2026, 8, 13)),  # 13 cannot be a month
        ("08/13/2026", False, dt.date(2026, 8, 13)),
        ("31/12/26", False, dt.date(2026, 12, 31)),
        ("05 DEC 2026", False, dt.date(2026, 12, 5)),
        ("Dec 1, 2026", True, dt.date(2026, 12, 1)),
        ("1 декември 2026", False, dt.date(2026, 12, 1)),
        ("01 ДЕК 2026", False, dt.date(2026, 12, 1)),
    ],
)
def test_dates_in(text: str, month_first: bool, day: dt.date) -> None:
    assert dates_in(text, month_first)[0][0] == day


def test_find_date_skips_impossible_and_future_dates() -> None:
    today = dt.date(2026, 12, 1)
    found = find_date(["31.02.2026", "01.01.2031", "ДАТА: 30.11.2026"], False, today)
    assert found is not None
    assert (found.value, found.line) == (dt.date(2026, 11, 30), 2)
    assert found.confidence > 0.9  # labelled
    assert find_date(["no date"], False, today) is None


def test_find_time_prefers_the_date_line_and_needs_a_colon() -> None:
    assert find_time(["12.30 TOTAL", "01.12.2026 08:05"], 1) == "08:05"
    assert find_time(["TOTAL 12.30"], None) is None


def test_total_is_the_payable_line_not_subtotal_tax_or_change() -> None:
    amount, confidence, index = find_total(lines(EN_RECEIPT))
    assert (amount, index) == (Decimal("12.37"), 8)
    assert confidence > 0.8
    amount, _, _ = find_total(lines(BG_RECEIPT))
    assert amount == Decimal("10.25")


def test_a_total_split_over_two_lines_and_the_fallback() -> None:
    amount, _, _ = find_total(lines("GRAND TOTAL\n45.10\nTHANKS"))
    assert amount == Decimal("45.10")
    amount, confidence, _ = find_total(lines("A 2.00\nB 7.00\nCHANGE 93.00"))
    assert (amount, confidence) == (Decimal("7.00"), 0.4)
    assert find_total(lines("nothing")) == (None, 0.0, None)


def test_lookalike_letters_still_match_keywords() -> None:
    # Tesseract with Bulgarian loaded reads "TAX" in Cyrillic letters.
    amount, _, _ = find_total(lines("ТАХ 3.00\nTOTAL 20.00"))
    assert amount == Decimal("20.00")


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("KAUFLAND BULGARIA", "kaufland"),
        ("КАУФЛАНД БЪЛГАРИЯ ЕООД", "kaufland"),
        ("ЛУКОЙЛ БЪЛГАРИЯ ЕООД", "lukoil"),
        ("McDonald's", "mcdonalds"),
        ("BP 4021 SOFIA", "bp"),
        ("140 BPM FITNESS", None),
        ("EKONOM MARKET", None),
    ],
)
def test_known_chains_by_whole_words(text: str, key: str | None) -> None:
    assert chain_of(text) == key


def test_merchant_is_the_first_meaningful_line() -> None:
    texts = ["*** FISCAL ***", "12345", "GREEN LEAF BISTRO LTD", "123 MAIN STREET"]
    found = find_merchant(texts, [0.9] * 4)
    assert found is not None
    assert (found.name, found.known, found.line) == ("Green Leaf Bistro", False, 2)
    chain = find_merchant(["ул. Витоша 1", "KAUFLAND BULGARIA"], [0.9, 0.9])
    assert chain is not None
    assert (chain.key, chain.name, chain.known) == ("kaufland", "Kaufland", True)
    assert chain.confidence >= 0.9
    assert find_merchant(["123", "***"], [0.9, 0.9]) is None


def test_parse_a_bulgarian_receipt() -> None:
    receipt = parse(lines(BG_RECEIPT), dt.date(2026, 12, 1))
    assert receipt.merchant is not None
    assert receipt.merchant.key == "kaufland"
    assert (receipt.total, receipt.currency) == (Decimal("10.25"), "BGN")
    assert (receipt.date, receipt.time) == (dt.date(2026, 8, 5), "13:19")
    assert [(i.name, i.quantity, i.unit_price, i.price) for i in receipt.items] == [
        ("ХЛЯБ ДОБРУДЖА", Decimal(2), Decimal("1.50"), Decimal("3.00")),
        ("СИРЕНЕ", Decimal(1), None, Decimal("7.25")),
    ]
    assert receipt.warnings == []
    assert receipt.total_confidence > 0.9  # the items add up
    assert receipt.needs_review(0.9) == []


def test_parse_a_us_receipt_with_a_quantity_line_after_its_item() -> None:
    receipt = parse(lines(EN_RECEIPT), dt.date(2026, 12, 1))
    assert receipt.date == dt.date(2026, 12, 1)  # month first with dollars
    assert receipt.currency == "USD"
    assert [(i.name, i.price) for i in receipt.items] == [
        ("CAFFE LATTE", Decimal("4.95")),
        ("BLUEBERRY MUFFIN", Decimal("6.50")),
    ]
    # 4.95 + 6.50 = 11.45 is the subtotal, not the total: a warning, not a failure.
    assert receipt.warnings == ["items add up to 11.45, the receipt says 12.37"]


def test_low_confidence_fields_are_flagged_for_review() -> None:
    receipt = parse(lines("A 2.00\nB 7.00", confidence=0.3))
    assert set(receipt.needs_review(0.2)) >= {"total", "date", "currency", "category"}
    assert "no total found" not in receipt.warnings
    empty = parse([])
    assert empty.total is None
    assert empty.warnings == ["no total found"]
