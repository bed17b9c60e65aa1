"""Why a day has its status, in one paragraph with the day's own figures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from services.budget.engine import categories as cat
from services.budget.engine.money import ZERO, to_cents
from services.budget.engine.status import Status, status, tolerance


def explain_day(
    day: dt.date, cells: Mapping[str, tuple[Decimal, Decimal]], shown: str | None
) -> dict[str, Any]:
    """The day's status (the one rule) and why: planned vs spent, the category that decided
    it, and the tolerance; ``shown`` is the status the app displayed."""
    spending = {c: v for c, v in cells.items() if c != cat.SAVINGS}
    planned = sum((p for p, _ in spending.values()), ZERO)
    spent = sum((s for _, s in spending.values()), ZERO)
    found = status(planned, spent)
    when = day.strftime("%A %d %B %Y").replace(" 0", " ")
    text = f"On {when} you spent {to_cents(spent):.2f} of the {to_cents(planned):.2f} planned"
    if found is Status.GREEN:
        text += f", {to_cents(planned - spent):.2f} under plan: green."
    elif found is Status.YELLOW:
        text += (
            f", {to_cents(spent - planned):.2f} over plan but within the "
            f"{to_cents(tolerance(planned)):.2f} tolerance: yellow."
        )
    else:
        text += (
            f", {to_cents(spent - planned):.2f} over plan, beyond the "
            f"{to_cents(tolerance(planned)):.2f} tolerance: red."
        )
    over = sorted(
        ((c, s - p) for c, (p, s) in spending.items() if s > p), key=lambda t: (-t[1], t[0])
    )
    if over:
        c = over[0][0]
        p, s = spending[c]
        text += f" {c.title()} decided it: {to_cents(s):.2f} against {to_cents(p):.2f} planned."
    elif spent == ZERO and planned > 0:
        text += " Nothing was spent."
    given = (shown or "").strip().lower()
    if given in {s.value for s in Status} and given != found.value:
        text += f" The app showed {given}; the budget now says {found.value}."
    return {
        "date": day.isoformat(),
        "status": found.value,
        "planned": to_cents(planned),
        "spent": to_cents(spent),
        "explanation": text,
    }
