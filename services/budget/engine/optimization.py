"""Budget optimization: where the month's plan is heading per category at the current pace,
and which planned money could move from categories heading for a surplus to those heading
for a deficit (SACRED categories never give; the moves conserve the plan)."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

from services.budget.engine import categories as cat
from services.budget.engine.money import ZERO, to_cents

#: Only part of a projected surplus is offered: the pace of the rest of the month may change.
OFFER_SHARE: Final = Decimal("0.5")


def projections(
    planned: Mapping[str, Decimal], spent: Mapping[str, Decimal], today: dt.date
) -> dict[str, dict[str, Decimal]]:
    """Per category: planned, spent so far, projected month-end spend and balance."""
    days_in_month = calendar.monthrange(today.year, today.month)[1]
    remaining = days_in_month - today.day
    out = {}
    for category in sorted(set(planned) | set(spent)):
        p, s = planned.get(category, ZERO), spent.get(category, ZERO)
        pace = to_cents(s / today.day)
        # Fixed and savings money falls on one day: its plan is the projection, not its pace.
        lump = cat.kind(category) in (cat.Kind.FIXED, cat.Kind.SAVINGS)
        projected = max(p, s) if lump else s + pace * remaining
        out[category] = {"planned": p, "spent": s, "projected": projected, "balance": p - projected}
    return out


def optimize(
    planned: Mapping[str, Decimal], spent: Mapping[str, Decimal], today: dt.date
) -> dict[str, Any]:
    """Moves from projected surpluses to projected deficits (largest deficit first, donors
    in priority order), a score (share of categories on track) and sentences with figures."""
    found = projections(planned, spent, today)
    offers = {
        c: to_cents(f["balance"] * OFFER_SHARE)
        for c, f in found.items()
        if f["balance"] > 0 and cat.priority(c) is not cat.Priority.SACRED
    }
    order = {p: i for i, p in enumerate(cat.PRIORITY_ORDER)}
    donors = sorted(offers, key=lambda c: (order[cat.priority(c)], -offers[c], c))
    deficits = sorted(
        ((c, -f["balance"]) for c, f in found.items() if f["balance"] < 0),
        key=lambda t: (-t[1], t[0]),
    )
    moves: list[tuple[str, str, Decimal]] = []  # (from, to, amount)
    for receiver, need in deficits:
        for donor in donors:
            if need <= 0:
                break
            amount = min(need, offers[donor])
            if amount <= 0:
                continue
            offers[donor] -= amount
            need -= amount
            moves.append((donor, receiver, amount))
    planned_categories = [c for c, f in found.items() if f["planned"] > 0]
    on_track = [c for c in planned_categories if found[c]["balance"] >= 0]
    score = round(100 * len(on_track) / len(planned_categories)) if planned_categories else 0
    suggestions = [
        f"Move {amount:.2f} from {giver} to {taker}: {taker} is heading for "
        f"{to_cents(-found[taker]['balance']):.2f} over plan, {giver} for "
        f"{to_cents(found[giver]['balance']):.2f} under."
        for giver, taker, amount in moves
    ]
    uncovered = [(c, need) for c, need in deficits if c not in {m[1] for m in moves}]
    suggestions += [
        f"{c} is heading for {to_cents(need):.2f} over plan with nothing to cover it: "
        f"slow it to {to_cents(max(ZERO, found[c]['planned'] - found[c]['spent'])):.2f} "
        "for the rest of the month."
        for c, need in uncovered
    ]
    if not deficits:
        suggestions.append("Every category is on pace to stay within its plan this month.")
    return {
        "overall_score": score,
        "categories": {c: {k: to_cents(v) for k, v in f.items()} for c, f in found.items()},
        "moves": [{"from_category": g, "to_category": t, "amount": a} for g, t, a in moves],
        "suggestions": suggestions,
        "total_movable": to_cents(sum((a for _, _, a in moves), ZERO)),
    }
