"""The labeled training set: written from ``data/vocabulary.tsv`` into ``data/labeled.csv``.

``python -m shared.categorizer.dataset`` rewrites the file (deterministic); a test checks the
committed file equals what this builds, so the two never drift apart.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from shared.categorizer.vocabulary import vocabulary

PATH: Final = Path(__file__).with_name("data") / "labeled.csv"
SEED: Final = 20261202
EN_PLACES: Final = ("NEW YORK", "LONDON", "CHICAGO", "BOSTON", "MANCHESTER", "AUSTIN", "DUBLIN")
BG_PLACES: Final = ("СОФИЯ", "ПЛОВДИВ", "ВАРНА", "БУРГАС", "РУСЕ", "СТАРА ЗАГОРА", "ПЛЕВЕН")
EN_FORMS: Final = ("{t}", "{T} #{n}", "{T} {place}", "POS {T} {n}", "{t} purchase", "{T} STORE {n}")
BG_FORMS: Final = ("{t}", "{T} {place}", "{t} ЕООД", "плащане {t}", "{T} ООД", "покупка {t}")


@dataclass(frozen=True)
class Row:
    """One labeled text: its category, language, and the vocabulary name it was made from."""

    text: str
    category: str
    language: str
    base: str


def build() -> list[Row]:
    """Every row: each vocabulary name as itself and in two receipt/statement-like forms."""
    rng = random.Random(SEED)
    rows: list[Row] = []
    for category, (english, bulgarian) in sorted(vocabulary().items()):
        for language, names, forms, places in (
            ("en", english, EN_FORMS, EN_PLACES),
            ("bg", bulgarian, BG_FORMS, BG_PLACES),
        ):
            for name in names:
                chosen = ["{t}", *rng.sample(forms[1:], 2)]
                for form in chosen:
                    text = form.format(
                        t=name, T=name.upper(), n=rng.randint(10, 9999), place=rng.choice(places)
                    )
                    rows.append(Row(text, category, language, name))
    return rows


def render(rows: list[Row]) -> str:
    """The CSV text of ``rows`` (header: text, category, language, base)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["text", "category", "language", "base"])
    for row in rows:
        writer.writerow([row.text, row.category, row.language, row.base])
    return out.getvalue()


def load(path: Path = PATH) -> list[Row]:
    """The committed labeled set."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            Row(r["text"], r["category"], r["language"], r["base"]) for r in csv.DictReader(handle)
        ]


def held_out(rows: list[Row], share: float = 0.2) -> tuple[list[Row], list[Row]]:
    """Split by vocabulary name (a name's forms stay together): train and held-out rows."""
    rng = random.Random(SEED + 1)
    bases = sorted({(r.category, r.base) for r in rows})
    test = {b for b in bases if rng.random() < share}
    train = [r for r in rows if (r.category, r.base) not in test]
    return train, [r for r in rows if (r.category, r.base) in test]


if __name__ == "__main__":
    PATH.parent.mkdir(exist_ok=True)
    PATH.write_text(render(build()), encoding="utf-8")
    print(f"wrote {PATH} ({len(build())} rows)")
