"""Redistribution: real-time cover of an overspent day-category, and the month-level rebalance.

Both take the current planned ``{date: {category: amount}}`` and return a new one (the input is
never changed) together with the moves; the month's total plan is conserved exactly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from services.budget.engine import categories as cat
from services.budget.engine.daily import DayPlan
from services.budget.engine.money import ZERO, floor_cents, split_evenly, split_largest_remainder

Days = Mapping[dt.date, Mapping[str, Decimal]]
MINUS: Final = "\u2212"


@dataclass(frozen=True)
class Move:
    """Planned money moved from one day-category to another."""

    from_category: str
    from_date: dt.date
    to_category: str
    to_date: dt.date
    amount: Decimal

    def as_dict(self) -> dict[str, object]:
        """The move as the API and the ``BudgetRedistributed`` event carry it."""
        return {
            "from_category": self.from_category,
            "from_date": self.from_date,
            "to_category": self.to_category,
            "to_date": self.to_date,
            "amount": self.amount,
        }


@dataclass(frozen=True)
class Redistribution:
    """Outcome of a real-time redistribution."""

    planned: DayPlan
    moves: tuple[Move, ...]
    overspend: Decimal
    covered: Decimal
    fully_covered: bool


@dataclass(frozen=True)
class Rebalance:
    """Outcome of a month-level rebalance."""

    planned: DayPlan
    moves: tuple[Move, ...]
    total_moved: Decimal


def _copy(planned: Days) -> DayPlan:
    return {day: dict(amounts) for day, amounts in planned.items()}


def _get(planned: Days, day: dt.date, category: str) -> Decimal:
    return planned.get(day, {}).get(category, ZERO)


def _priority_rank(category: str) -> int:
    return cat.PRIORITY_ORDER.index(cat.priority(category))


def _is_donor(category: str) -> bool:
    return cat.priority(category) is not cat.Priority.SACRED


def _cut(
    planned: DayPlan, category: str, rooms: Mapping[dt.date, Decimal], take: Decimal
) -> list[tuple[dt.date, Decimal]]:
    """Take ``take`` from ``category`` on the days of ``rooms``, proportional to their planned
    amounts, never more than a day's room (water-filling); the days are changed in place."""
    left = {day: room for day, room in rooms.items() if room > 0}
    taken = dict.fromkeys(left, ZERO)
    remaining = take
    while remaining > 0:
        if not left:
            raise AssertionError("cut larger than the room it was checked against")
        active = sorted(left)
        parts = split_largest_remainder(remaining, [planned[d][category] for d in active])
        for day, part in zip(active, parts, strict=True):
            give = min(part, left[day])
            taken[day] += give
            left[day] -= give
            remaining -= give
            if left[day] == 0:
                del left[day]
    result = [(day, amount) for day, amount in sorted(taken.items()) if amount > 0]
    for day, amount in result:
        planned[day][category] -= amount
    return result


def _pair(
    from_category: str,
    cuts: list[tuple[dt.date, Decimal]],
    to_category: str,
    credits: list[tuple[dt.date, Decimal]],
) -> list[Move]:
    """Match cuts to credits (equal sums) in date order, giving at most len(a) + len(b) moves."""
    moves: list[Move] = []
    i = j = 0
    cut_left = cuts[0][1] if cuts else ZERO
    credit_left = credits[0][1] if credits else ZERO
    while i < len(cuts) and j < len(credits):
        amount = min(cut_left, credit_left)
        moves.append(Move(from_category, cuts[i][0], to_category, credits[j][0], amount))
        cut_left -= amount
        credit_left -= amount
        if cut_left == 0:
            i += 1
            cut_left = cuts[i][1] if i < len(cuts) else ZERO
        if credit_left == 0:
            j += 1
            credit_left = credits[j][1] if j < len(credits) else ZERO
    return moves


def transfer(
    planned: DayPlan,
    donor: str,
    receiver: str,
    amount: Decimal,
    rooms: Mapping[dt.date, Decimal],
    future: list[dt.date],
) -> list[Move]:
    """Cut ``amount`` from the donor's days (within ``rooms``, in proportion to their plan) and
    add it to the receiver evenly over ``future`` (extra cents to the earlier days); in place."""
    cuts = _cut(planned, donor, rooms, amount)
    credits = [(d, a) for d, a in zip(future, split_evenly(amount, len(future)), strict=True) if a]
    for d, a in credits:
        planned[d][receiver] = planned[d].get(receiver, ZERO) + a
    return _pair(donor, cuts, receiver, credits)


def redistribute_overspend(
    planned: Days,
    original: Days,
    *,
    day: dt.date,
    category: str,
    spent: Decimal,
    today: dt.date,
) -> Redistribution:
    """Cover an overspent day-category out of future days of other categories.

    ``planned`` is the month's current plan, ``original`` the plan as first laid out (per-day
    floors), ``spent`` the total spent on (``day``, ``category``). overspend = spent - planned.
    Donors are the days strictly after ``today`` in ``day``'s month, in categories other than
    ``category``, never SACRED; categories are tried DISCRETIONARY → FLEXIBLE → PROTECTED and,
    within a priority, larger future total first, then by name. A donor category gives at most
    50 % of its current future total (rounded down to the cent); each donor day keeps at least
    50 % of its original amount; the cut is spread over the donor's future days in proportion to
    their planned amounts. Donors are used until the overspend is covered; the covered amount
    is credited to (``day``, ``category``).
    """
    result = _copy(planned)
    overspend = spent - _get(planned, day, category)
    if overspend <= 0:
        return Redistribution(result, (), max(overspend, ZERO), ZERO, True)
    future = [d for d in sorted(result) if d > today and (d.year, d.month) == (day.year, day.month)]
    totals: dict[str, Decimal] = {}
    for d in future:
        for c, amount in result[d].items():
            if c != category and _is_donor(c):
                totals[c] = totals.get(c, ZERO) + amount
    donors = sorted(totals, key=lambda c: (_priority_rank(c), -totals[c], c))
    moves: list[Move] = []
    need = overspend
    for donor in donors:
        if need == 0:
            break
        rooms = {
            d: max(ZERO, floor_cents(result[d][donor] - _get(original, d, donor) / 2))
            for d in future
            if result[d].get(donor, ZERO) > 0
        }
        take = min(need, floor_cents(totals[donor] / 2), sum(rooms.values(), ZERO))
        if take <= 0:
            continue
        for from_date, amount in _cut(result, donor, rooms, take):
            moves.append(Move(donor, from_date, category, day, amount))
        need -= take
    covered = overspend - need
    if covered > 0:
        target = result.setdefault(day, {})
        target[category] = target.get(category, ZERO) + covered
    return Redistribution(result, tuple(moves), overspend, covered, need == 0)


def rebalance_month(planned: Days, spent: Days, *, today: dt.date) -> Rebalance:
    """Month-level rebalance of ``today``'s month (``POST /budget/redistribute``).

    Per category over the past days (before ``today``): diff = planned - spent. Categories with
    a surplus (diff > 0) that are not SACRED donate at most 50 % of it (rounded down to the
    cent, and no more than their planned total on future days), in priority order
    DISCRETIONARY → FLEXIBLE → PROTECTED (then larger surplus, then name). Deficits (diff < 0,
    any category) are served largest first (then by name). Each transfer is cut from the
    donor's days strictly after ``today`` in proportion to their planned amounts, and added to
    the receiver's days strictly after ``today`` evenly (extra cents to the earlier days).
    Nothing moves on the month's last day (no future days).
    """
    result = _copy(planned)
    month = (today.year, today.month)
    in_month = [d for d in sorted(set(result) | set(spent)) if (d.year, d.month) == month]
    past = [d for d in in_month if d < today]
    future = [d for d in sorted(result) if d > today and (d.year, d.month) == month]
    if not future:
        return Rebalance(result, (), ZERO)
    diff: dict[str, Decimal] = {}
    for d in past:
        for c, amount in result.get(d, {}).items():
            diff[c] = diff.get(c, ZERO) + amount
        for c, amount in spent.get(d, {}).items():
            diff[c] = diff.get(c, ZERO) - amount
    future_total = {
        c: sum((result[d].get(c, ZERO) for d in future), ZERO) for c in diff if diff[c] > 0
    }
    budget = {
        c: min(floor_cents(diff[c] / 2), future_total[c]) for c in future_total if _is_donor(c)
    }
    donors = sorted(
        (c for c in budget if budget[c] > 0), key=lambda c: (_priority_rank(c), -diff[c], c)
    )
    receivers = sorted((c for c in diff if diff[c] < 0), key=lambda c: (diff[c], c))
    moves: list[Move] = []
    for receiver in receivers:
        need = -diff[receiver]
        for donor in donors:
            amount = min(need, budget[donor])
            if amount <= 0:
                continue
            rooms = {d: result[d].get(donor, ZERO) for d in future}
            moves.extend(transfer(result, donor, receiver, amount, rooms, future))
            budget[donor] -= amount
            need -= amount
    return Rebalance(result, tuple(moves), sum((m.amount for m in moves), ZERO))


def describe_moves(moves: Iterable[Move]) -> str:
    """Notification text, e.g. "Budget adjusted: Food +10.00, Entertainment -10.00" (U+2212)."""
    net: dict[str, Decimal] = {}
    for move in moves:
        net[move.to_category] = net.get(move.to_category, ZERO) + move.amount
        net[move.from_category] = net.get(move.from_category, ZERO) - move.amount
    parts = [
        f"{c.replace('_', ' ').capitalize()} {'+' if amount > 0 else MINUS}{abs(amount)}"
        for c, amount in sorted(net.items(), key=lambda item: (item[1] < 0, -abs(item[1])))
        if amount != 0
    ]
    return "Budget adjusted: " + ", ".join(parts) if parts else "Budget unchanged"
