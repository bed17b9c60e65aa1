"""Budget modes: how a month's plan is split and laid out, and what automation they allow.

| mode       | needs/wants/savings | wants weights      | entertainment, travel | cover |
|------------|---------------------|--------------------|-----------------------|-------|
| default    | 50/30/20            | 35/35/10/10/10     | on habit days         | yes   |
| flexible   | 50/30/20            | 35/35/10/10/10     | spread over every day | yes   |
| strict     | 50/30/20            | 35/35/10/10/10     | on habit days         | no    |
| behavioral | 50/30/20            | learned (own data) | on habit days         | yes   |
| goal       | 50/20/30            | 35/35/10/10/10     | on habit days         | yes   |

"cover" is the real-time redistribution after an overspend: a strict budget has hard limits.
Savings are at least the share and at least the user's savings goal, as far as it fits
(``build_plan``). Learned weights come from ``learned_wants_weights``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Final

from services.budget.engine import categories as cat
from services.budget.engine.money import ZERO
from services.budget.engine.plan import DEFAULT_METHOD, WANTS_WEIGHTS

DEFAULT: Final = "default"
# A learned weight never drops below this share (in %), so no want is planned at zero.
MIN_LEARNED_WEIGHT: Final = 5
# Fewer wants transactions than this in the learning window: the default weights stay.
MIN_LEARNING_TRANSACTIONS: Final = 10
LEARNING_DAYS: Final = 90


@dataclass(frozen=True)
class Mode:
    """One budget mode's rules."""

    name: str
    method: str
    spread_clustered: bool = False
    realtime_cover: bool = True
    learned: bool = False


MODES: Final = MappingProxyType(
    {
        DEFAULT: Mode(DEFAULT, DEFAULT_METHOD),
        "flexible": Mode("flexible", DEFAULT_METHOD, spread_clustered=True),
        "strict": Mode("strict", DEFAULT_METHOD, realtime_cover=False),
        "behavioral": Mode("behavioral", DEFAULT_METHOD, learned=True),
        "goal": Mode("goal", "50/20/30"),
    }
)


def mode_of(name: str | None) -> Mode:
    """A mode by name (the default for an unknown or missing one)."""
    return MODES.get(name or DEFAULT, MODES[DEFAULT])


def learned_wants_weights(
    spent: Mapping[str, Decimal], transactions: int
) -> dict[str, Decimal] | None:
    """Wants weights (in %) from what the user spent per plan category in the learning window.

    Each want gets ``MIN_LEARNED_WEIGHT`` % outright, so none is planned at zero; the rest of
    the 100 % is shared in proportion to what was spent on each want (to the hundredth of a
    percent; the largest weight absorbs the rounding). With fewer than
    ``MIN_LEARNING_TRANSACTIONS`` wants transactions, or nothing spent on wants, there is
    nothing to learn from: None (the default weights apply).
    """
    total = sum((spent.get(c, ZERO) for c in cat.WANTS), ZERO)
    if transactions < MIN_LEARNING_TRANSACTIONS or total <= 0:
        return None
    floor = Decimal(MIN_LEARNED_WEIGHT)
    shared = Decimal(100) - floor * len(cat.WANTS)
    weights = {
        c: (floor + shared * spent.get(c, ZERO) / total).quantize(Decimal("0.01"))
        for c in cat.WANTS
    }
    largest = max(weights, key=lambda c: (weights[c], c))
    weights[largest] += Decimal(100) - sum(weights.values(), ZERO)
    return weights


def default_wants_weights() -> dict[str, Decimal]:
    """The default wants weights (in %)."""
    return {c: Decimal(w) for c, w in WANTS_WEIGHTS.items()}
