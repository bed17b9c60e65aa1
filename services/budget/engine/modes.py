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

    Each want's weight is its share of the wants spending, raised to ``MIN_LEARNED_WEIGHT`` %
    where lower, then scaled so the weights sum to 100 (to the cent of a percent). With fewer
    than ``MIN_LEARNING_TRANSACTIONS`` wants transactions, or nothing spent on wants, there is
    nothing to learn from: None (the default weights apply).
    """
    total = sum((spent.get(c, ZERO) for c in cat.WANTS), ZERO)
    if transactions < MIN_LEARNING_TRANSACTIONS or total <= 0:
        return None
    raw = {
        c: max(Decimal(100) * spent.get(c, ZERO) / total, Decimal(MIN_LEARNED_WEIGHT))
        for c in cat.WANTS
    }
    scale = sum(raw.values(), ZERO)
    weights = {c: (Decimal(100) * w / scale).quantize(Decimal("0.01")) for c, w in raw.items()}
    # Rounding may leave the sum a few hundredths off 100: the largest weight absorbs it.
    largest = max(weights, key=lambda c: (weights[c], c))
    weights[largest] += Decimal(100) - sum(weights.values(), ZERO)
    return weights


def default_wants_weights() -> dict[str, Decimal]:
    """The default wants weights (in %)."""
    return {c: Decimal(w) for c, w in WANTS_WEIGHTS.items()}
