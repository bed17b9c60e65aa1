"""Money helpers: cents, explicit rounding points, exact largest-remainder splits."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from fractions import Fraction

CENTS = Decimal("0.01")
ZERO = Decimal("0.00")


class MoneyError(ValueError):
    """A money value the engine refuses (negative, not finite, or finer than a cent)."""


def to_cents(value: Decimal) -> Decimal:
    """Round to cents, half up (the one rounding mode used at defined points)."""
    if not value.is_finite():
        raise MoneyError("amount must be a finite number")
    return value.quantize(CENTS, rounding=ROUND_HALF_UP)


def floor_cents(value: Decimal) -> Decimal:
    """Round toward zero to cents (used for caps such as "at most 50 %")."""
    return value.quantize(CENTS, rounding=ROUND_DOWN)


def require_cents(value: Decimal, what: str = "amount") -> Decimal:
    """Return ``value`` quantized to cents if it has at most 2 decimal places, else refuse."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise MoneyError(f"{what} must be a finite decimal number")
    cents = value.quantize(CENTS)
    if cents != value:
        raise MoneyError(f"{what} must have at most 2 decimal places")
    return cents


def _to_fraction(value: Decimal | int) -> Fraction:
    """Exact rational value of a finite Decimal or int."""
    if isinstance(value, Decimal) and not value.is_finite():
        raise MoneyError("weights must be finite")
    return Fraction(value)


def split_largest_remainder(
    total: Decimal, weights: Sequence[Decimal | int], *, start: int = 0
) -> list[Decimal]:
    """Split ``total`` by ``weights`` into cents that always sum exactly to ``total``.

    Each part first gets ``floor(total * w / Σw)`` cents; the leftover cents go one each to the
    parts with the largest fractional remainders. Ties go to the lowest index, counting
    cyclically from ``start`` (so 100.00 over three equal weights is 33.34/33.33/33.33, and with
    ``start=1`` it is 33.33/33.34/33.33). Zero weights get 0.00; if every weight is zero the
    split is even. ``total`` must be ≥ 0 with at most 2 decimals; weights must be ≥ 0.
    """
    total = require_cents(total, "total")
    if total < 0:
        raise MoneyError("cannot split a negative total")
    n = len(weights)
    if n == 0:
        if total == 0:
            return []
        raise MoneyError("cannot split a non-zero total over no parts")
    fractions = [_to_fraction(w) for w in weights]
    if any(f < 0 for f in fractions):
        raise MoneyError("weights must not be negative")
    weight_sum = sum(fractions, Fraction(0))
    if weight_sum == 0:
        fractions = [Fraction(1)] * n
        weight_sum = Fraction(n)
    total_cents = int(total / CENTS)
    exact = [total_cents * f / weight_sum for f in fractions]
    floors = [int(e) for e in exact]  # exact ≥ 0, so int() is floor
    leftover = total_cents - sum(floors)
    order = sorted(range(n), key=lambda i: (-(exact[i] - floors[i]), (i - start) % n))
    for i in order[:leftover]:
        floors[i] += 1
    return [Decimal(c) * CENTS for c in floors]


def split_evenly(total: Decimal, parts: int, *, start: int = 0) -> list[Decimal]:
    """Split ``total`` into ``parts`` equal cents amounts; the extra cents go from ``start`` on."""
    return split_largest_remainder(total, [1] * parts, start=start)


def percent(amount: Decimal, pct: Decimal | int) -> Decimal:
    """``pct`` % of ``amount``, exact (no rounding)."""
    return amount * Decimal(pct) / Decimal(100)
