"""``make eval-ocr``: the whole receipt pipeline on labeled synthetic receipts, per field.

Renders ``--count`` receipts (EN and BG; fonts, sizes, ±3° rotation, noise, blur, JPEG
artifacts and a thermal-paper look at random), reads each as the worker does (clean → engine →
parser → categorizer), and prints accuracy per field, the categorizer's held-out accuracy and
the time per receipt. Figures, not a test: nothing here fails a build.
"""

from __future__ import annotations

import argparse
import difflib
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.receipts import Spec, encoded, random_spec
from services.ocr.reading.engines import TesseractEngine, assemble_tessdata
from services.ocr.reading.images import clean
from services.ocr.reading.pipeline import read_receipt
from shared.categorizer import dataset
from shared.categorizer.categorizer import Categorizer, default_categorizer
from shared.categorizer.rules import normalize

TARGETS = {"total": 0.95, "date": 0.95, "merchant": 0.90, "items F1": 0.85, "categorizer": 0.90}
SECONDS_TARGET = 2.0


@dataclass
class Tally:
    """Right answers per field, item matches, timings and misses to show."""

    right: Counter[str] = field(default_factory=Counter)
    items_true: int = 0
    items_found: int = 0
    items_matched: int = 0
    seconds: list[float] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)
    count: int = 0


def merchant_right(spec: Spec, reading: dict[str, Any]) -> bool:
    """The known chain's key, or an unknown merchant's name, case-insensitively."""
    return (reading.get("merchant_normalized") or "") == normalize(spec.merchant)


def item_matches(spec: Spec, reading: dict[str, Any]) -> int:
    """Items read with the right line total and a name close to the printed one."""
    left = list(reading.get("items") or [])
    matched = 0
    for item in spec.items:
        for found in left:
            same_price = Decimal(found["price"]) == item.price
            similar = difflib.SequenceMatcher(
                None, found["name"].casefold(), item.name.casefold()
            ).ratio()
            if same_price and similar >= 0.8:
                left.remove(found)
                matched += 1
                break
    return matched


def score(spec: Spec, reading: dict[str, Any], tally: Tally, index: int) -> None:
    """Compare one reading with its labels."""
    checks = {
        "total": reading.get("total") is not None and Decimal(reading["total"]) == spec.total,
        "date": reading.get("date") == spec.date.isoformat(),
        "merchant": merchant_right(spec, reading),
        "currency": reading.get("currency") == spec.currency,
        "category": reading.get("category") == spec.category,
    }
    for name, ok in checks.items():
        tally.right[name] += ok
    wrong = [n for n, ok in checks.items() if not ok]
    if wrong and len(tally.misses) < 12:
        tally.misses.append(
            f"#{index} {spec.header} ({','.join(spec.effects) or 'clean'}, {spec.rotation:+.1f}°,"
            f" {spec.font}): wrong {', '.join(wrong)}"
        )
    tally.items_true += len(spec.items)
    tally.items_found += len(reading.get("items") or [])
    tally.items_matched += item_matches(spec, reading)


def categorizer_figures() -> dict[str, float]:
    """Held-out accuracy: unseen forms of known names, and names never seen at all."""
    rows = dataset.load()
    forms_train = [r for i, r in enumerate(rows) if i % 5]
    forms_test = rows[::5]
    names_train, names_test = dataset.held_out(rows)
    out: dict[str, float] = {}
    for label, train, test in (
        ("held-out forms", forms_train, forms_test),
        ("unseen names", names_train, names_test),
    ):
        model = Categorizer(train)
        right = sum(model.categorize(r.text).category == r.category for r in test)
        out[label] = right / len(test)
    return out


def run(count: int, seed: int) -> int:
    """Evaluate and print; exit code 0 (figures, not a gate)."""
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="mita-eval-ocr-") as tmp:
        tessdata = Path(tmp) / "tessdata"
        engine = TesseractEngine(tessdata, assemble_tessdata(tessdata))
        categorizer = default_categorizer()
        categorizer.model()
        tally = Tally()
        for index in range(count):
            spec = random_spec(rng, "en" if index % 2 else "bg")
            image = encoded(spec, rng=rng)
            started = time.perf_counter()
            try:
                reading = read_receipt(clean(image).data, engine, categorizer, spec.date)
            except Exception as exc:  # an unreadable render counts as wrong on every field
                reading = {}
                tally.misses.append(f"#{index} {spec.header}: {exc}")
            tally.seconds.append(time.perf_counter() - started)
            score(spec, reading, tally, index)
            tally.count += 1
            if (index + 1) % 50 == 0:
                print(f"  ... {index + 1}/{count}", file=sys.stderr)
        report(tally, engine.languages(), categorizer_figures())
    return 0


def report(tally: Tally, languages: tuple[str, ...], categories: dict[str, float]) -> None:
    """Print the figures with their targets."""
    n = tally.count
    precision = tally.items_matched / tally.items_found if tally.items_found else 0.0
    recall = tally.items_matched / tally.items_true if tally.items_true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    seconds = sorted(tally.seconds)
    figures = {
        "total": tally.right["total"] / n,
        "date": tally.right["date"] / n,
        "merchant": tally.right["merchant"] / n,
        "currency": tally.right["currency"] / n,
        "receipt category": tally.right["category"] / n,
        "items F1": f1,
        "categorizer": categories["held-out forms"],
    }
    print(
        f"MITA eval-ocr: {n} synthetic receipts (EN/BG), Tesseract languages {'+'.join(languages)}"
    )
    for name, value in figures.items():
        target = TARGETS.get(name)
        verdict = (
            ""
            if target is None
            else f"  target >= {target:.0%}: {'met' if value >= target else 'MISSED'}"
        )
        print(f"  {name:<18} {value:7.1%}{verdict}")
    print(f"  items              precision {precision:.1%}, recall {recall:.1%}")
    unseen = categories["unseen names"]
    print(f"  categorizer        unseen names {unseen:.1%} (names no rule or row holds)")
    mean, p95 = statistics.fmean(seconds), seconds[max(int(0.95 * len(seconds)) - 1, 0)]
    met = "met" if p95 <= SECONDS_TARGET else "MISSED"
    timing = f"mean {mean:.2f} s, p95 {p95:.2f} s"
    print(f"  time per receipt   {timing}  target <= {SECONDS_TARGET:.0f} s: {met}")
    for miss in tally.misses:
        print(f"  miss: {miss}")


def main() -> None:
    """Command line: ``python -m bench.ocr_eval [--count N] [--seed S]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", type=int, default=20261202)
    args = parser.parse_args()
    sys.exit(run(max(args.count, 1), args.seed))


if __name__ == "__main__":
    main()
