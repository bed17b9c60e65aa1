"""Dates and times in receipt text: numeric forms (by locale when ambiguous) and month names."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Final

MONTHS: Final[dict[str, int]] = {
    **{m: i + 1 for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))},
    **{m: i + 1 for i, m in enumerate(
        ("яну", "фев", "мар", "апр", "май", "юни", "юли", "авг", "сеп", "окт", "ное", "дек"))},
    "sept": 9, "юн": 6, "юл": 7,
}  # fmt: skip
ISO: Final = re.compile(r"(?<!\d)(?P<y>20\d{2})[-./](?P<m>\d{1,2})[-./](?P<d>\d{1,2})(?!\d)")
NUMERIC: Final = re.compile(
    r"(?<!\d)(?P<a>\d{1,2})\s?(?P<sep>[./-])\s?(?P<b>\d{1,2})\s?(?P=sep)\s?(?P<y>(?:20)?\d{2})(?!\d)"
)
# A month's name may come out of OCR with a digit in it ("5EP" for SEP).
NAMED: Final = re.compile(
    r"(?<!\w)(?:(?P<d1>\d{1,2})\s*(?P<m1>[A-Za-zА-Яа-я5][A-Za-zА-Яа-я]{2,8})\.?,?\s*(?P<y1>20\d{2})"
    r"|(?P<m2>[A-Za-zА-Яа-я]{3,9})\.?\s*(?P<d2>\d{1,2}),?\s*(?P<y2>20\d{2}))(?!\d)"
)
# Cyrillic letters OCR gives for Latin ones in month names ("МАУ" for MAY), and 5 for S.
LOOKALIKE: Final = str.maketrans("авекмнорстух5", "abekmhopctyxs")
LATIN_MONTHS: Final = tuple(k for k in MONTHS if len(k) == 3 and k.isascii())
# Receipts print times with a colon; "12.30" is a price and "01.12" part of a date.
TIME: Final = re.compile(
    r"(?<![\d:])(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)(?::(?P<s>[0-5]\d))?(?!\d)"
)


@dataclass(frozen=True)
class FoundDate:
    """A date read from the text, how sure, and the line it was on."""

    value: dt.date
    confidence: float
    line: int


def _date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year if year > 100 else 2000 + year, month, day)
    except ValueError:
        return None


def _month(name: str) -> int | None:
    key = name.casefold()
    exact = MONTHS.get(key[:4]) or MONTHS.get(key[:3])
    if exact:
        return exact
    # Read as Latin lookalikes, then one wrong letter at most, when only one month is that close.
    latin = key.translate(LOOKALIKE)[:3]
    if latin in MONTHS:
        return MONTHS[latin]
    close = [m for m in LATIN_MONTHS if sum(a != b for a, b in zip(m, latin, strict=False)) <= 1]
    return MONTHS[close[0]] if len(close) == 1 and len(latin) == 3 else None


def dates_in(line: str, month_first: bool) -> list[tuple[dt.date, float]]:
    """Dates on one line with a confidence; ``month_first`` settles 01/02/2026 (US style)."""
    found: list[tuple[dt.date, float]] = []
    for m in ISO.finditer(line):
        value = _date(int(m["y"]), int(m["m"]), int(m["d"]))
        if value:
            found.append((value, 0.95))
    for m in NUMERIC.finditer(line):
        a, b, year = int(m["a"]), int(m["b"]), int(m["y"])
        if a > 12 or (b <= 12 and not month_first) or m["sep"] == ".":
            value, sure = _date(year, b, a), 0.9 if a > 12 or m["sep"] == "." else 0.75
        else:
            value, sure = _date(year, a, b), 0.9 if b > 12 else 0.75
        if value:
            found.append((value, sure))
    for m in NAMED.finditer(line):
        name = m["m1"] or m["m2"]
        month = _month(name) if name else None
        day, year = int(m["d1"] or m["d2"]), int(m["y1"] or m["y2"])
        value = _date(year, month, day) if month else None
        if value:
            found.append((value, 0.9))
    return found


def find_date(
    lines: list[str], month_first: bool, today: dt.date | None = None
) -> FoundDate | None:
    """The receipt's date: the first plausible one (not after ``today``, not before 2000)."""
    latest = today + dt.timedelta(days=2) if today else None
    for index, line in enumerate(lines):
        for value, sure in dates_in(line, month_first):
            if value.year < 2000 or (latest is not None and value > latest):
                continue
            labelled = re.search(r"\b(date|дата)\b", line, re.IGNORECASE) is not None
            return FoundDate(value, round(min(sure + (0.05 if labelled else 0.0), 0.99), 2), index)
    return None


def find_time(lines: list[str], prefer: int | None = None) -> str | None:
    """The receipt's time of day (``HH:MM``), from the date's line first."""
    order = ([prefer] if prefer is not None else []) + list(range(len(lines)))
    for index in order:
        for m in TIME.finditer(lines[index]):
            return f"{int(m['h']):02d}:{m['m']}"
    return None
