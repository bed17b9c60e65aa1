"""The challenge catalogue, defined as data (``catalogue.json``): what each challenge is and the
rule its progress is measured by. Read once per process, validated on the way in."""

from __future__ import annotations

import functools
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, TypeAdapter

from contracts.ledger import CATEGORIES

DATA = Path(__file__).with_name("catalogue.json")


class Rule(BaseModel, frozen=True):
    """How progress is measured.

    ``abstain``: no spending in ``categories`` on any day. ``cap``: the window's spending in
    ``categories`` stays within ``fraction`` of the same number of days before joining.
    ``streak``: ``days`` days in a row within the day's plan. ``weekend``: the next Saturday and
    Sunday with no spending beyond the fixed bills. ``under_plan``: the window's spending stays
    within ``fraction`` of what the plan gives those days.
    """

    kind: Literal["abstain", "cap", "streak", "weekend", "under_plan"]
    categories: tuple[str, ...] = ()
    fraction: Decimal = Field(default=Decimal(1), gt=0, le=1)
    days: int = Field(default=0, ge=0, le=366)


class Challenge(BaseModel, frozen=True):
    """One catalogue entry."""

    id: str = Field(pattern=r"^[a-z0-9_]{1,64}$")
    name: str
    description: str
    type: str
    category: str
    difficulty: Literal["easy", "medium", "hard"]
    duration_days: int = Field(ge=1, le=366)
    reward_points: int = Field(ge=0)
    reward_amount: Decimal = Field(ge=0)
    rarity: str
    icon: str
    rule: Rule

    @property
    def target_value(self) -> int:
        """What the progress bar fills to: days (a streak's length, a weekend's two)."""
        if self.rule.kind == "streak":
            return self.rule.days
        return 2 if self.rule.kind == "weekend" else self.duration_days


@functools.cache
def catalogue() -> dict[str, Challenge]:
    """Every challenge by id, in the catalogue's order."""
    entries = TypeAdapter(list[Challenge]).validate_json(DATA.read_bytes())
    for entry in entries:
        unknown = set(entry.rule.categories) - CATEGORIES
        if unknown:
            raise ValueError(f"{entry.id}: unknown categories {sorted(unknown)}")
        if entry.rule.kind == "streak" and not 0 < entry.rule.days <= entry.duration_days:
            raise ValueError(f"{entry.id}: a streak must fit in its window")
    return {entry.id: entry for entry in entries}
