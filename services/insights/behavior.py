"""The behaviour screens' figures from the user's own transactions (pure: rows in, shapes
out): how each category is spent, the month's habits, what comes before spending, days to
watch and a calendar of expected spending — every sentence carries the user's numbers."""

from __future__ import annotations

import calendar
import datetime as dt
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

from services.insights.advice import money
from services.insights.analytics import CENT
from services.insights.engine import DISCRETIONARY
from services.insights.read.features import IMPULSE_BELOW

WEEKDAYS: Final = tuple(calendar.day_name[i].lower() for i in range(7))
DAYPARTS: Final = (("night", 0), ("morning", 6), ("afternoon", 12), ("evening", 18))
PARTS: Final = tuple(p for p, _ in DAYPARTS)
WEEKEND_NORM: Final = 2 / 7
ZERO: Final = Decimal("0.00")


def cents(value: Decimal) -> Decimal:
    """Money rounded to the cent (half up)."""
    return value.quantize(CENT, ROUND_HALF_UP)


def name(category: str) -> str:
    """A category as a sentence says it."""
    return category.replace("_", " ")


def part_of_day(at: dt.datetime) -> str:
    """Night, morning, afternoon or evening of a local time."""
    return next(part for part, start in reversed(DAYPARTS) if at.hour >= start)


def shares(amounts: dict[str, Decimal], keys: Iterable[str]) -> dict[str, float]:
    """Each key's share of the total (0 when nothing was spent)."""
    total = sum(amounts.values(), ZERO)
    return {k: round(float(amounts.get(k, ZERO) / total), 4) if total else 0.0 for k in keys}


def weekday_of(row: dict[str, Any]) -> str:
    """The local weekday's name of a row."""
    weekday: int = row["at"].weekday()
    return WEEKDAYS[weekday]


def local_rows(rows: list[dict[str, Any]], zone: dt.tzinfo) -> list[dict[str, Any]]:
    """The rows with their local time (``at``) added."""
    return [{**r, "at": r["spent_at"].astimezone(zone)} for r in rows]


def is_impulse(row: dict[str, Any]) -> bool:
    """A small discretionary purchase (the clusters' impulse rate uses the same rule)."""
    return bool(row["amount"] < IMPULSE_BELOW and row["category"] in DISCRETIONARY)


def month_trend(this: Decimal, usual: Decimal | None) -> str:
    """increasing, decreasing or stable against the usual month (new without history)."""
    if usual is None or usual == 0:
        return "new"
    change = this / usual
    return (
        "increasing"
        if change > Decimal("1.1")
        else "decreasing"
        if change < Decimal("0.9")
        else "stable"
    )


def category_pattern(
    mine: list[dict[str, Any]], earlier: dict[tuple[int, int], Decimal], months_before: int
) -> dict[str, Any]:
    """One category's pattern this month (local rows) against its totals of earlier local
    months (``earlier``: (year, month) → total)."""
    amounts = [r["amount"] for r in mine]
    total = sum(amounts, ZERO)
    mean = total / len(amounts)
    cv = statistics.pstdev(amounts) / mean if mean else Decimal(0)
    by_month: dict[int, Decimal] = defaultdict(Decimal)
    for (_, month), amount in earlier.items():
        by_month[month] += amount
    by_month[mine[0]["at"].month] += total
    usual = sum(by_month.values(), ZERO) / len(by_month)
    earlier_total = sum(earlier.values(), ZERO)
    merchants: dict[str, Decimal] = defaultdict(Decimal)
    for r in mine:
        merchants[(r["merchant"] or "").strip().lower() or "?"] += r["amount"]
    return {
        "average_amount": cents(mean),
        "median_amount": cents(statistics.median(amounts)),
        "total": cents(total),
        "frequency": len(mine),
        "trend": month_trend(total, earlier_total / months_before if earlier else None),
        "seasonality": {str(m): round(float(v / usual), 4) for m, v in sorted(by_month.items())},
        "day_patterns": shares(_sum_by(mine, weekday_of), WEEKDAYS),
        "time_patterns": shares(_sum_by(mine, lambda r: part_of_day(r["at"])), PARTS),
        "merchant_concentration": round(sum(float(v / total) ** 2 for v in merchants.values()), 4),
        "variability": round(float(cv), 4),
        "consistency": round(1 / (1 + float(cv)), 4),
        "confidence": round(min(0.95, 0.3 + 0.05 * len(mine)), 2),
    }  # fmt: skip


def _sum_by(rows: list[dict[str, Any]], key: Any) -> dict[str, Decimal]:
    out: dict[str, Decimal] = defaultdict(Decimal)
    for r in rows:
        out[key(r)] += r["amount"]
    return out


def patterns(
    month: list[dict[str, Any]],
    earlier: dict[tuple[int, int, str], Decimal],
    months_before: int,
    period: str,
) -> dict[str, Any]:
    """``/behavior/patterns``: each category of the month (local rows) against its earlier
    months' totals (``earlier``: (year, month, category) → total), and the dominant one."""
    by_category: dict[str, list[dict[str, Any]]] = defaultdict(list)
    before: dict[str, dict[tuple[int, int], Decimal]] = defaultdict(dict)
    for r in month:
        by_category[r["category"]].append(r)
    for (year, number, category), amount in earlier.items():
        before[category][(year, number)] = amount
    found = {
        c: category_pattern(rows, before.get(c, {}), months_before)
        for c, rows in sorted(by_category.items(), key=lambda kv: -sum(r["amount"] for r in kv[1]))
    }
    dominant = next(iter(found), None)
    return {
        "period": period,
        "patterns": found,
        "dominant_pattern": dominant or "none",
        "confidence": found[dominant]["confidence"] if dominant else 0.0,
    }


def habits(month: list[dict[str, Any]]) -> tuple[Decimal, float, float]:
    """The month's total, weekend share of the money and impulse rate of the purchases."""
    total = sum((r["amount"] for r in month), ZERO)
    weekend = sum((r["amount"] for r in month if r["at"].weekday() >= 5), ZERO)
    impulse = sum(1 for r in month if is_impulse(r))
    return (
        total,
        round(float(weekend / total), 4) if total else 0.0,
        round(impulse / len(month), 4) if month else 0.0,
    )


def personality(weekend_share: float, impulse_rate: float, count: int) -> str:
    """A name for the month's habits."""
    if count == 0:
        return "not enough data"
    if impulse_rate > 0.4:
        return "impulsive spender"
    if weekend_share > 0.5:
        return "weekend spender"
    if impulse_rate < 0.15 and weekend_share <= 0.35:
        return "planner"
    return "balanced spender"


def analysis(month: list[dict[str, Any]], period: str, currency: str | None) -> dict[str, Any]:
    """``/behavior/analysis``: the month's habits, each measured, and a score from 0 to 1."""
    total, weekend, impulse = habits(month)
    excess = max(0.0, weekend - WEEKEND_NORM) / (1 - WEEKEND_NORM)
    score = round(max(0.0, 1 - 0.5 * impulse - 0.5 * excess), 2) if month else 0.0
    by_category = _sum_by(month, lambda r: r["category"])
    top = sorted(by_category.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    small = [r for r in month if is_impulse(r)]
    small_total = sum((r["amount"] for r in small), ZERO)
    insights = []
    if top:
        c, amount = top[0]
        insights.append(
            f"{name(c).title()} took {money(amount, currency)} of your {money(total, currency)}."
        )
    if small:
        insights.append(
            f"{len(small)} small discretionary purchases came to {money(small_total, currency)}."
        )
    if month:
        insights.append(f"{weekend:.0%} of your spending was on weekends (an even spread is 29%).")
    return {
        "period": period,
        "total_spent": cents(total),
        "transactions": len(month),
        "behavioral_score": score,
        "spending_personality": personality(weekend, impulse, len(month)),
        "weekend_share": weekend,
        "impulse_rate": impulse,
        "top_categories": [{"category": c, "amount": cents(a)} for c, a in top],
        "traits": [
            {"name": "weekend_share", "value": weekend,
             "description": f"{weekend:.0%} of the month's money went on Saturdays and Sundays"},
            {"name": "impulse_rate", "value": impulse,
             "description": f"{len(small)} of {len(month)} purchases were small and discretionary"},
        ],
        "insights": insights,
    }  # fmt: skip


def triggers(month: list[dict[str, Any]], period: str, currency: str | None) -> dict[str, Any]:
    """``/behavior/triggers``: weekdays, times, merchants and small buys that come with spending."""
    found: list[dict[str, Any]] = []
    total = sum((r["amount"] for r in month), ZERO)
    if total:
        by_day = _sum_by(month, weekday_of)
        day, amount = max(by_day.items(), key=lambda kv: (kv[1], kv[0]))
        days = {r["at"].date() for r in month if weekday_of(r) == day}
        if amount / total > Decimal("0.25") and len(by_day) > 1:
            found.append({
                "trigger_name": f"{day.title()}s", "type": "day_of_week",
                "description": f"{amount / total:.0%} of the month's spending, "
                               f"{money(amount, currency)}, fell on {day.title()}s",
                "frequency": f"{len(days)} {day.title()}s this month", "amount": cents(amount),
            })  # fmt: skip
        by_part = _sum_by(month, lambda r: part_of_day(r["at"]))
        part, amount = max(by_part.items(), key=lambda kv: (kv[1], kv[0]))
        count = sum(1 for r in month if part_of_day(r["at"]) == part)
        if amount / total > Decimal("0.4") and len(by_part) > 1:
            found.append({
                "trigger_name": f"{part.title()} purchases", "type": "time_of_day",
                "description": f"{money(amount, currency)} was spent in the {part}",
                "frequency": f"{count} purchases this month", "amount": cents(amount),
            })  # fmt: skip
    visits = Counter((r["merchant"] or "").strip() for r in month if (r["merchant"] or "").strip())
    for merchant, n in visits.most_common(2):
        if n >= 4:
            spent = sum(
                (r["amount"] for r in month if (r["merchant"] or "").strip() == merchant), ZERO
            )
            found.append({
                "trigger_name": f"Regular visits to {merchant}", "type": "merchant",
                "description": f"{n} visits to {merchant} cost {money(spent, currency)}",
                "frequency": f"{n} times this month", "amount": cents(spent),
            })  # fmt: skip
    small = [r for r in month if is_impulse(r)]
    if len(small) >= 5:
        spent = sum((r["amount"] for r in small), ZERO)
        found.append({
            "trigger_name": "Small impulse purchases", "type": "impulse",
            "description": f"{len(small)} purchases under {money(IMPULSE_BELOW, currency)} "
                           f"added up to {money(spent, currency)}",
            "frequency": f"{len(small)} times this month", "amount": cents(spent),
        })  # fmt: skip
    return {"period": period, "triggers": found, "transactions_analyzed": len(month)}


def weekday_rates(spent: dict[int, Decimal], start: dt.date, end: dt.date) -> dict[int, Decimal]:
    """Average spending per weekday over the local days [start, end), from the spending per
    weekday (0 = Monday) in them."""
    days = [start + dt.timedelta(days=i) for i in range((end - start).days)]
    counts = Counter(d.weekday() for d in days)
    return {w: cents(spent.get(w, ZERO) / counts[w]) if counts[w] else ZERO for w in range(7)}


def risk(expected: Decimal, usual: Decimal) -> str:
    """high, medium or low: a day's expected spending against the usual day."""
    if usual and expected > usual * Decimal("1.5"):
        return "high"
    return "medium" if usual and expected > usual * Decimal("1.1") else "low"


def behavior_calendar(
    year: int, month: int, rates: dict[int, Decimal], month_rows: list[dict[str, Any]]
) -> dict[str, Any]:
    """``POST /behavior/calendar``: each day's expected spending (its weekday's rate)."""
    usual = sum(rates.values(), ZERO) / 7
    spent = _sum_by(month_rows, lambda r: r["at"].date().isoformat())
    days: list[dict[str, Any]] = []
    for d in range(1, calendar.monthrange(year, month)[1] + 1):
        day = dt.date(year, month, d)
        expected = rates[day.weekday()]
        days.append({
            "date": day, "weekday": WEEKDAYS[day.weekday()], "expected_spending": expected,
            "spent": cents(spent.get(day.isoformat(), ZERO)), "risk": risk(expected, usual),
        })  # fmt: skip
    total = sum((d["expected_spending"] for d in days), ZERO)
    return {"year": year, "month": month, "days": days, "expected_total": cents(total)}


def warnings(
    month_rows: list[dict[str, Any]],
    rates: dict[int, Decimal],
    first: dt.date,
    today: dt.date,
    period: str,
    currency: str | None,
) -> dict[str, Any]:
    """``/behavior/warnings``: days of the month that went far over the usual day, and the
    days still ahead whose weekday tends to."""
    usual = sum(rates.values(), ZERO) / 7
    spent = _sum_by(month_rows, lambda r: r["at"].date().isoformat())
    found = []
    for day_text, amount in sorted(spent.items()):
        if usual and amount > usual * 2:
            found.append({
                "date": dt.date.fromisoformat(day_text), "type": "overspent_day",
                "severity": "high" if amount > usual * 3 else "medium",
                "message": f"{money(amount, currency)} spent, {amount / usual:.1f}x your usual "
                           f"day of {money(usual, currency)}",
                "amount": cents(amount),
            })  # fmt: skip
    last = dt.date(first.year, first.month, calendar.monthrange(first.year, first.month)[1])
    day = max(today, first)
    while day <= last:
        expected = rates[day.weekday()]
        if risk(expected, usual) == "high":
            found.append({
                "date": day, "type": "high_risk_day", "severity": "low",
                "message": f"{WEEKDAYS[day.weekday()].title()}s usually cost you "
                           f"{money(expected, currency)}: plan for it",
                "amount": expected,
            })  # fmt: skip
        day += dt.timedelta(days=1)
    return {"period": period, "daily_average": cents(usual), "warnings": found}
