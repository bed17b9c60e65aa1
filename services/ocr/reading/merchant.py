"""The merchant: the first meaningful line of a receipt, known chains normalized."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from shared.categorizer.rules import normalize, tokens

#: key -> (display name, spellings as words: Latin and Cyrillic, as printed on receipts).
CHAINS: Final[dict[str, tuple[str, tuple[str, ...]]]] = {
    "kaufland": ("Kaufland", ("kaufland", "кауфланд")),
    "lidl": ("Lidl", ("lidl", "лидл")),
    "billa": ("Billa", ("billa", "била", "билла")),
    "fantastico": ("Fantastico", ("fantastico", "фантастико")),
    "t market": ("T Market", ("t market", "т маркет")),
    "metro": ("Metro", ("metro cash", "метро кеш")),
    "carrefour": ("Carrefour", ("carrefour", "карфур")),
    "lukoil": ("Lukoil", ("lukoil", "лукойл")),
    "omv": ("OMV", ("omv", "омв")),
    "shell": ("Shell", ("shell", "шел")),
    "petrol": ("Petrol", ("petrol ad", "петрол ад")),
    "eko": ("EKO", ("eko", "еко")),
    "mareshki": ("Apteki Mareshki", ("марешки", "mareshki")),
    "sopharma": ("Sopharma", ("sopharma", "софарма")),
    "dm": ("dm drogerie markt", ("dm drogerie", "дм дрогерие")),
    "lilly": ("Lilly Drogerie", ("lilly drogerie", "лили дрогерие")),
    "technopolis": ("Technopolis", ("technopolis", "технополис")),
    "ikea": ("IKEA", ("ikea", "икеа")),
    "walmart": ("Walmart", ("walmart", "wal mart")),
    "tesco": ("Tesco", ("tesco",)),
    "sainsburys": ("Sainsbury's", ("sainsbury's", "sainsburys")),
    "starbucks": ("Starbucks", ("starbucks", "старбъкс")),
    "costa": ("Costa Coffee", ("costa coffee", "коста кафе")),
    "cvs": ("CVS Pharmacy", ("cvs",)),
    "walgreens": ("Walgreens", ("walgreens",)),
    "target": ("Target", ("target",)),
    "aldi": ("Aldi", ("aldi",)),
    "costco": ("Costco", ("costco",)),
    "kroger": ("Kroger", ("kroger",)),
    "safeway": ("Safeway", ("safeway",)),
    "whole foods": ("Whole Foods Market", ("whole foods",)),
    "trader joes": ("Trader Joe's", ("trader joe's", "trader joes")),
    "mcdonalds": ("McDonald's", ("mcdonald's", "mcdonalds", "макдоналдс")),
    "burger king": ("Burger King", ("burger king",)),
    "kfc": ("KFC", ("kfc",)),
    "subway": ("Subway", ("subway",)),
    "bp": ("BP", ("bp",)),
    "esso": ("Esso", ("esso",)),
}
CHAIN_CONFIDENCE: Final = 0.95
# Words that say what a company is, not who (dropped from an unknown merchant's name).
LEGAL: Final = frozenset(
    {"еоод", "оод", "ад", "ет", "ead", "ltd", "inc", "llc", "gmbh", "plc", "co", "corp",
     "bulgaria", "българия", "store", "supercenter", "express", "#"}
)  # fmt: skip
NOT_A_NAME: Final = re.compile(
    r"\b(ул|бул|street|st|ave|avenue|road|rd|tel|phone|тел|еик|булстат|vat|ддс|дата|date|"
    r"receipt|fiscal|invoice|copy|касов|фискален|бон|welcome|добре|store\s*#|www|http|no|№)\b",
    re.IGNORECASE,
)
LETTERS: Final = re.compile(r"[^\W\d_]")
_PHRASES: Final = tuple(
    (tokens(spelling), key) for key, (_, spellings) in CHAINS.items() for spelling in spellings
)


@dataclass(frozen=True)
class Merchant:
    """Who issued the receipt: a display name, a normalized key, how sure, and its line."""

    name: str
    key: str
    confidence: float
    line: int
    known: bool
    printed: str = ""


def chain_of(text: str) -> str | None:
    """The known chain a line names (whole words: "eko" never matches "ekonom")."""
    words = tokens(text)
    for phrase, key in sorted(_PHRASES, key=lambda p: -len(p[0])):
        n = len(phrase)
        if any(words[i : i + n] == phrase for i in range(len(words) - n + 1)):
            return key
    return None


def _cleaned(line: str) -> str:
    kept = [w for w in line.split() if normalize(w).strip(".,") not in LEGAL]
    return " ".join(kept).strip(" .,:-*")


def find_merchant(lines: list[str], confidences: list[float], head: int = 6) -> Merchant | None:
    """The merchant from the first ``head`` meaningful lines (a known chain anywhere there wins)."""
    candidates = [
        (i, line.strip())
        for i, line in enumerate(lines)
        if len(LETTERS.findall(line)) >= 3 and not NOT_A_NAME.search(line)
    ][:head]
    for index, line in candidates:
        key = chain_of(line)
        if key is not None:
            sure = CHAIN_CONFIDENCE * min(1.0, 0.5 + confidences[index] / 2)
            return Merchant(CHAINS[key][0], key, round(sure, 2), index, True, line)
    for index, line in candidates:
        name = _cleaned(line)
        if len(LETTERS.findall(name)) >= 3:
            sure = 0.7 * min(1.0, 0.4 + confidences[index] * 0.6)
            display = name.title() if name.isupper() else name
            return Merchant(display, normalize(name), round(sure, 2), index, False, line)
    return None
