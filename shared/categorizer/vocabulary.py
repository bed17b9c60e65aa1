"""Labeled merchant and purchase names per transaction category, English and Bulgarian.

The names live in ``data/vocabulary.tsv`` (category, language, name). The categorizer's
training set (``data/labeled.csv``) is built from them by ``python -m
shared.categorizer.dataset``; the keyword rules (``rules.py``) are a separate, smaller list of
names that settle a category on their own.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Final

PATH: Final = Path(__file__).with_name("data") / "vocabulary.tsv"


@functools.cache
def vocabulary() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """category -> (English names, Bulgarian names), in the file's order."""
    found: dict[str, tuple[list[str], list[str]]] = {}
    for line in PATH.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        category, language, name = line.split("\t")
        english, bulgarian = found.setdefault(category, ([], []))
        (english if language == "en" else bulgarian).append(name)
    return {c: (tuple(en), tuple(bg)) for c, (en, bg) in found.items()}
