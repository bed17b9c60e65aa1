"""Auto-adaptation (``POST /budget/auto_adapt``): re-weight the rest of the month by pace.

Where the month-level rebalance looks back (past surpluses pay past deficits), adaptation looks
ahead: at the pace of spending so far, which categories will run out before the month ends and
which will have money left, and it moves future money from the second to the first.
"""

from __future__ import annotations

import datetime as dt

from services.budget.engine.money import ZERO, floor_cents
from services.budget.engine.redistribution import (
    Days,
    Move,
    Rebalance,
    _copy,
    _get,
    _is_donor,
    _priority_rank,
    transfer,
)


def adapt_month(planned: Days, spent: Days, *, today: dt.date) -> Rebalance:
    """Move future planned money from categories on pace to have money left to categories on
    pace to run out.

    For each non-SACRED category c of ``today``'s month, with e = today's day of the month
    (days elapsed, today included) and the future = the days strictly after today:
    spent_c = Σ spent on days ≤ today, future_c = Σ planned on future days, and
    need_c = floor(spent_c / e * |future|) - future_c (what the pace needs beyond the plan).
    need_c > 0 makes a receiver, need_c < 0 a donor of at most half of -need_c (rounded down
    to the cent). Donors give in priority order DISCRETIONARY → FLEXIBLE → PROTECTED (then
    larger surplus, then name), receivers are served largest need first (then name); each
    donor future day keeps at least half of its planned amount; what a receiver gets is added
    to its future days evenly. The month's total plan is conserved; with no future day, or no
    spending yet, nothing moves.
    """
    result = _copy(planned)
    month = (today.year, today.month)
    future = [d for d in sorted(result) if d > today and (d.year, d.month) == month]
    elapsed = today.day
    if not future:
        return Rebalance(result, (), ZERO)
    categories = sorted(
        {
            c
            for d, amounts in result.items()
            if (d.year, d.month) == month
            for c in amounts
            if _is_donor(c)
        }
    )
    spent_so_far = {
        c: sum(
            (a.get(c, ZERO) for d, a in spent.items() if d <= today and (d.year, d.month) == month),
            ZERO,
        )
        for c in categories
    }
    if not any(spent_so_far.values()):
        return Rebalance(result, (), ZERO)
    future_total = {c: sum((result[d].get(c, ZERO) for d in future), ZERO) for c in categories}
    need = {
        c: floor_cents(spent_so_far[c] * len(future) / elapsed) - future_total[c]
        for c in categories
    }
    budget = {c: floor_cents(-need[c] / 2) for c in categories if need[c] < 0}
    donors = sorted(
        (c for c in budget if budget[c] > 0), key=lambda c: (_priority_rank(c), need[c], c)
    )
    receivers = sorted((c for c in categories if need[c] > 0), key=lambda c: (-need[c], c))
    moves: list[Move] = []
    for receiver in receivers:
        wanted = need[receiver]
        for donor in donors:
            rooms = {
                d: max(ZERO, floor_cents(result[d].get(donor, ZERO) - _get(planned, d, donor) / 2))
                for d in future
            }
            amount = min(wanted, budget[donor], sum(rooms.values(), ZERO))
            if amount <= 0:
                continue
            moves.extend(transfer(result, donor, receiver, amount, rooms, future))
            budget[donor] -= amount
            wanted -= amount
    return Rebalance(result, tuple(moves), sum((m.amount for m in moves), ZERO))
