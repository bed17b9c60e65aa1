"""The analytics answers, computed from the read models (exact money, local days)."""

from __future__ import annotations

import calendar
import datetime as dt
import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from services.insights.read.queries import ZERO, Person, Reads, month_bounds, shift

CENT = Decimal("0.01")
STABLE_WITHIN = 0.05


def share(part: Decimal, whole: Decimal) -> float:
    """``part`` as a percentage of ``whole`` (two places; 0 when there is no whole)."""
    return float((part / whole * 100).quantize(CENT, ROUND_HALF_UP)) if whole else 0.0


def ratio(new: Decimal, old: Decimal) -> float | None:
    """Relative change from ``old`` to ``new`` (None without an old figure)."""
    return round(float((new - old) / old), 4) if old else None


def categories(rows: list[dict[str, Any]]) -> tuple[Decimal, list[dict[str, Any]]]:
    """The total and each category's amount, count and percentage of it."""
    total = sum((r["amount"] for r in rows), ZERO)
    return total, [
        {
            "category": r["category"],
            "amount": r["amount"],
            "count": int(r["count"]),
            "percentage": share(r["amount"], total),
        }
        for r in rows
    ]


async def monthly(
    reads: Reads, user: uuid.UUID, person: Person, year: int, month: int
) -> dict[str, Any]:
    """One local month: totals by category, day and merchant, weekday against weekend."""
    start, end = month_bounds(year, month, person.zone)
    total, by_category = categories(await reads.by_category(user, start, end))
    daily = await reads.by_day(user, start, end, person.zone_name)
    weekend = sum((d["amount"] for d in daily if d["date"].isoweekday() >= 6), ZERO)
    days = calendar.monthrange(year, month)[1]
    savings = (person.income - total) if person.income is not None else None
    return {
        "year": year,
        "month": month,
        "total_spent": total,
        "transaction_count": sum(c["count"] for c in by_category),
        "average_daily": (total / days).quantize(CENT, ROUND_HALF_UP),
        "income": person.income,
        "savings": savings,
        "savings_rate": round(float(savings / person.income), 4)
        if savings is not None and person.income
        else None,
        "by_category": by_category,
        "daily": [{"date": d["date"], "amount": d["amount"]} for d in daily],
        "weekday_total": total - weekend,
        "weekend_total": weekend,
        "weekend_share": share(weekend, total),
        "top_merchants": [
            {"merchant": m["merchant"], "count": int(m["count"]), "amount": m["amount"]}
            for m in await reads.by_merchant(user, start, end)
        ],
    }


async def breakdown(
    reads: Reads, user: uuid.UUID, person: Person, year: int, month: int
) -> dict[str, Any]:
    """One local month's spending per category."""
    start, end = month_bounds(year, month, person.zone)
    total, rows = categories(await reads.by_category(user, start, end))
    return {"year": year, "month": month, "total": total, "categories": rows}


async def trends(
    reads: Reads, user: uuid.UUID, person: Person, today: dt.date, months: int
) -> dict[str, Any]:
    """The last ``months`` local months (this one included), oldest first, and the direction."""
    first = shift(today.year, today.month, -(months - 1))
    start, _ = month_bounds(*first, person.zone)
    _, end = month_bounds(today.year, today.month, person.zone)
    found = await reads.by_month(user, start, end, person.zone_name)
    series = []
    for i in range(months):
        year, month = shift(*first, i)
        key = f"{year:04d}-{month:02d}"
        row = found.get(key) or {}
        series.append(
            {"month": key, "total": row.get("total", ZERO), "count": int(row.get("count", 0))}
        )
    totals = [m["total"] for m in series]
    change = ratio(totals[-1], totals[-2]) if len(totals) >= 2 else None
    # The direction compares the later half of the period with the earlier one.
    half = len(totals) // 2
    early, late = sum(totals[:half], ZERO), sum(totals[len(totals) - half :], ZERO)
    moved = ratio(late, early) if half else None
    trend = "stable"
    if moved is not None and moved > STABLE_WITHIN:
        trend = "increasing"
    elif moved is not None and moved < -STABLE_WITHIN:
        trend = "decreasing"
    return {
        "months": series,
        "average_monthly": (sum(totals, ZERO) / len(totals)).quantize(CENT, ROUND_HALF_UP),
        "month_over_month_change": change,
        "trend": trend,
    }


async def dashboard(
    reads: Reads, user: uuid.UUID, person: Person, today: dt.date
) -> dict[str, Any]:
    """This month against the last, and the six-month trend."""
    this = await monthly(reads, user, person, today.year, today.month)
    last_year, last_month = shift(today.year, today.month, -1)
    start, end = month_bounds(last_year, last_month, person.zone)
    last_total, _ = categories(await reads.by_category(user, start, end))
    return {
        "this_month": this,
        "last_month_total": last_total,
        "change": ratio(this["total_spent"], last_total),
        "trend": await trends(reads, user, person, today, 6),
    }
