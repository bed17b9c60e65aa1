"""Installment rules (pure, docs/installments.md): the next and final payment, overdue, the
list summary and load, the month calendar and the achievements."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from contracts.installment_plans import amount_of, due_date, monthly_equivalent

ZERO = Decimal("0.00")
ONGOING = ("active", "overdue")
#: The app's bands of the load (installments_screen.dart:206-218).
LOAD_BANDS = ((Decimal("0.5"), "safe"), (Decimal("0.7"), "moderate"), (Decimal("0.9"), "high"))
DECLINED_LEVELS = ("orange", "red")
DECLINE_WINDOW = dt.timedelta(days=30)
#: (level, completed installments, declined calculations, days without a new installment)
LEVELS = (
    ("master", 3, 3, 90), ("disciplined", 1, 1, 30), ("aware", 0, 1, 0),
)  # fmt: skip


def iso(value: dt.datetime | dt.date) -> str:
    """ISO text of a date or an instant."""
    return value.isoformat()


def next_number(row: dict[str, Any]) -> int:
    """The number of the next payment due (the last one once all are made)."""
    return min(int(row["payments_made"]) + 1, int(row["total_payments"]))


def status_of(row: dict[str, Any], today: dt.date) -> str:
    """active, completed or cancelled as stored; active with a next payment before the user's
    local today is overdue."""
    if row["status"] != "active":
        return str(row["status"])
    due = due_date(row["first_payment_date"], row["payment_frequency"], next_number(row))
    return "overdue" if due < today else "active"


def view(row: dict[str, Any], today: dt.date) -> dict[str, Any]:
    """An installment as the app reads it."""
    first, freq, count = row["first_payment_date"], row["payment_frequency"], row["total_payments"]
    return {
        "id": str(row["id"]), "user_id": str(row["user_id"]), "item_name": row["item_name"],
        "category": row["category"], "payment_frequency": freq, "status": status_of(row, today),
        "notes": row["notes"], "total_amount": row["total_amount"],
        "payment_amount": row["payment_amount"], "interest_rate": row["interest_rate"],
        "total_payments": count, "payments_made": row["payments_made"],
        "first_payment_date": iso(first),
        "next_payment_date": iso(due_date(first, freq, next_number(row))),
        "final_payment_date": iso(due_date(first, freq, count)),
        "created_at": iso(row["created_at"]), "updated_at": iso(row["updated_at"]),
    }  # fmt: skip


def next_amount(row: dict[str, Any]) -> Decimal:
    """The amount of the next payment due."""
    return amount_of(row["total_amount"], row["payment_amount"], row["total_payments"],
                     next_number(row))  # fmt: skip


def load_message(load: Decimal, income: Decimal | None) -> str:
    """What the load means, in the app's bands."""
    if not income:
        return "Add your monthly income to your installment profile to see your installment load"
    band = next((name for top, name in LOAD_BANDS if load < top), "critical")
    share = (load * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"Your installments take {share}% of your monthly income ({band})"


def summary(
    rows: list[dict[str, Any]], today: dt.date, income: Decimal | None, status: str | None
) -> dict[str, Any]:
    """``GET /installments``: counts, the monthly total, the next payment, the load."""
    views = [(row, view(row, today)) for row in rows]
    ongoing = [(row, v) for row, v in views if v["status"] in ONGOING]
    monthly = sum((monthly_equivalent(r["payment_amount"], r["payment_frequency"])
                   for r, _ in ongoing), ZERO)  # fmt: skip
    dates = sorted({v["next_payment_date"] for _, v in ongoing})
    soonest = dates[0] if dates else None
    amount = sum((next_amount(r) for r, v in ongoing if v["next_payment_date"] == soonest), ZERO)
    load = (monthly / income).quantize(Decimal("0.0001"), ROUND_HALF_UP) if income else ZERO
    listed = [v for _, v in views if status is None or v["status"] == status]
    listed.sort(key=lambda v: (v["status"] not in ONGOING, v["next_payment_date"], v["id"]))
    return {
        "total_active": len(ongoing),
        "total_completed": sum(1 for _, v in views if v["status"] == "completed"),
        "total_monthly_payment": monthly, "next_payment_date": soonest,
        "next_payment_amount": amount if soonest else None, "installments": listed,
        "current_installment_load": load, "load_message": load_message(load, income),
    }  # fmt: skip


#: Payment share of income bands (the calculator's payment / income factor).
SHARE_BANDS = ((Decimal("0.10"), "green"), (Decimal("0.20"), "yellow"), (Decimal("0.30"), "orange"))
EVERYDAY = ("groceries", "utilities")


def evaluations(
    rows: list[dict[str, Any]], today: dt.date, income: Decimal | None
) -> list[dict[str, Any]]:
    """Each ongoing plan's monthly payment as a share of income, banded like the calculator's
    payment factor (< 10 % green, < 20 % yellow, < 30 % orange, else red; groceries or
    utilities on credit red; no income known: yellow), overdue ones at least orange."""
    out = []
    for row in rows:
        status = status_of(row, today)
        if status not in ONGOING:
            continue
        monthly = monthly_equivalent(row["payment_amount"], row["payment_frequency"])
        share = (monthly / income).quantize(Decimal("0.0001"), ROUND_HALF_UP) if income else None
        if share is None:
            level, message = "yellow", "Add your monthly income to weigh this installment"
        else:
            level = next((name for top, name in SHARE_BANDS if share < top), "red")
            message = (
                f"{monthly} a month is {(share * 100).quantize(Decimal('0.1'))}% of your income"
            )
        if row["category"] in EVERYDAY:
            level, message = "red", f"{message}; everyday needs on credit are a warning sign"
        if status == "overdue" and level in ("green", "yellow"):
            level, message = "orange", f"{message}; a payment is overdue"
        out.append({
            "installment_id": str(row["id"]), "item_name": row["item_name"],
            "category": row["category"], "monthly_payment": monthly, "share_of_income": share,
            "risk_level": level, "message": message,
        })  # fmt: skip
    return out


def calendar(rows: list[dict[str, Any]], year: int, month: int, today: dt.date) -> dict[str, Any]:
    """Every payment of the month of the installments not cancelled: paid, due or overdue."""
    first_day = dt.date(year, month, 1)
    payments = []
    for row in rows:
        if row["status"] == "cancelled":
            continue
        first, freq, count = (
            row["first_payment_date"],
            row["payment_frequency"],
            row["total_payments"],
        )
        for number in range(1, count + 1):
            day = due_date(first, freq, number)
            if (day.year, day.month) > (year, month):
                break
            if day < first_day:
                continue
            paid = number <= row["payments_made"]
            payments.append({
                "installment_id": str(row["id"]), "item_name": row["item_name"],
                "category": row["category"], "date": iso(day), "payment_number": number,
                "amount": amount_of(row["total_amount"], row["payment_amount"], count, number),
                "status": "paid" if paid else ("overdue" if day < today else "due"),
            })  # fmt: skip
    payments.sort(key=lambda p: (p["date"], p["item_name"], p["installment_id"]))
    days: dict[str, list[dict[str, Any]]] = {}
    for payment in payments:
        days.setdefault(payment["date"], []).append(payment)
    return {
        "year": year, "month": month,
        "total_due": sum((p["amount"] for p in payments if p["status"] != "paid"), ZERO),
        "total_paid": sum((p["amount"] for p in payments if p["status"] == "paid"), ZERO),
        "payments": payments, "days": days,
    }  # fmt: skip


def _declined(calc: dict[str, Any], created: list[dict[str, Any]]) -> bool:
    """A calculation the planner advised against (orange or red) with no installment of its
    category created within 30 days after it."""
    if calc["risk_level"] not in DECLINED_LEVELS:
        return False
    start, end = calc["performed_at"], calc["performed_at"] + DECLINE_WINDOW
    return not any(
        r["category"] == calc["category"] and start <= r["created_at"] <= end for r in created
    )


def achievements(
    user_id: str,
    installments: list[dict[str, Any]],
    calculations: list[dict[str, Any]],
    now: dt.datetime,
    tz: dt.tzinfo,
) -> dict[str, Any]:
    """Completed installments, calculations run and declined (with the interest not paid),
    days since the last new installment and the longest such stretch, and the level."""
    declined = [c for c in calculations if _declined(c, installments)]
    today = now.astimezone(tz).date()
    starts = sorted(r["created_at"].astimezone(tz).date() for r in installments)
    origin = min([*starts, *(c["performed_at"].astimezone(tz).date() for c in calculations)],
                 default=today)  # fmt: skip
    marks = [origin, *starts, today]
    gaps = [(b - a).days for a, b in itertools.pairwise(marks)]
    since = (today - starts[-1]).days if starts else (today - origin).days
    completed = sum(1 for r in installments if r["status"] == "completed")
    level = next(
        (name for name, done, dec, days in LEVELS
         if completed >= done and len(declined) >= dec and since >= days),
        "beginner",
    )  # fmt: skip
    stamps = [r["updated_at"] for r in installments] + [c["performed_at"] for c in calculations]
    last = max((c["performed_at"] for c in calculations), default=None)
    return {
        "id": user_id, "user_id": user_id, "achievement_level": level,
        "installments_completed": completed, "calculations_performed": len(calculations),
        "calculations_declined": len(declined), "days_without_new_installment": since,
        "max_days_streak": max(gaps, default=0),
        "interest_saved": sum((c["total_interest"] for c in declined), ZERO),
        "last_calculation_date": iso(last) if last else None,
        "updated_at": iso(max(stamps, default=now)),
    }  # fmt: skip
