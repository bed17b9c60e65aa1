"""The installment calculator (pure, exact money): the amortized payment, a schedule on real
calendar months that sums to the total cost, and a risk level from documented factors.

- payment = P·r(1+r)^n / ((1+r)^n − 1), r = APR / 12 (P / n at 0 %), rounded to the cent; the
  last row takes what the rounding left, so the rows sum exactly to the total cost. Payment k
  falls k months after the purchase day (the month's last day when it is shorter).
- Factors, each green / yellow / orange / red, each explained (docs/installments.md):
  payment share of income (< 10 / 20 / 30 %), debt-to-income with every monthly obligation and
  the new payment (< 20 / 36 / 43 %), balance after the first payment (≥ 3 payments / ≥ 1 / ≥ 0 /
  below 0), active installments (≤ 1 / 2 / 3 / 4+), category (groceries or utilities on credit
  are red), interest (≤ 10 / 20 / 30 % APR / above). Without an income the two income factors are
  one yellow "income unknown".
- Score = Σ severity points (green 0, yellow 1, orange 2, red 4); level: any red → red; else
  score ≥ 4 → orange; ≥ 1 → yellow (so one orange factor makes the result at least yellow);
  0 → green.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

from shared.dates import add_months

CENT: Final = Decimal("0.01")
ZERO: Final = Decimal("0.00")
POINTS: Final = {"green": 0, "yellow": 1, "orange": 2, "red": 4}
ORDER: Final = ("green", "yellow", "orange", "red")
NEEDS_ON_CREDIT: Final = frozenset({"groceries", "utilities"})
LATE_FEE_SHARE: Final = Decimal("0.05")
VERDICTS: Final = {
    "green": "Affordable: this plan fits your budget.",
    "yellow": "Manageable, with care: check the points below before you commit.",
    "orange": "Risky: this plan strains your budget.",
    "red": "Not recommended: this plan is likely to hurt your finances.",
}


def cents(value: Decimal) -> Decimal:
    """Rounded half up to the cent."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _formula(principal: Decimal, r: Decimal, n: int) -> Decimal:
    if r == 0:
        return cents(principal / n)
    growth = (1 + r) ** n
    return cents(principal * r * growth / (growth - 1))


def _rows(principal: Decimal, r: Decimal, n: int, due: Decimal) -> list[tuple[Decimal, ...]]:
    """(amount, principal, interest, balance left) per payment, interest on the balance."""
    balance, out = principal, list[tuple[Decimal, ...]]()
    for k in range(1, n + 1):
        interest = cents(balance * r)
        amount = due if k < n else balance + interest
        part = amount - interest
        balance -= part
        out.append((amount, part, interest, balance))
    return out


def _settled(principal: Decimal, r: Decimal, n: int) -> tuple[Decimal, list[tuple[Decimal, ...]]]:
    """The payment and its rows: the formula's payment to the cent, lowered by the cents that
    would otherwise compound into a negative balance before the last payment (only at high
    rates over many months on small sums)."""
    due = _formula(principal, r, n)
    per_cent = ((1 + r) ** (n - 1) - 1) / r if r else Decimal(n - 1)  # balance gained per cent
    while True:
        rows = _rows(principal, r, n, due)
        short = min((row[3] for row in rows[:-1]), default=ZERO)
        if short >= 0 or due <= CENT:
            return due, rows
        due -= max(CENT, (-short / max(per_cent, Decimal(1))).quantize(CENT, "ROUND_CEILING"))


def payment(principal: Decimal, apr_percent: Decimal, n: int) -> Decimal:
    """The amortized monthly payment P·r(1+r)^n/((1+r)^n − 1), to the cent (see ``_settled``)."""
    return _settled(principal, apr_percent / 100 / 12, n)[0]


def schedule(
    principal: Decimal, apr_percent: Decimal, n: int, start: dt.date
) -> list[dict[str, Any]]:
    """Each payment with its principal, interest and the balance left (the last row settles
    the rounding: the balance ends at exactly 0)."""
    _, rows = _settled(principal, apr_percent / 100 / 12, n)
    return [
        {"payment_number": k, "date": add_months(start, k).isoformat(), "amount": amount,
         "principal": part, "interest": interest, "remaining": left}
        for k, (amount, part, interest, left) in enumerate(rows, 1)
    ]  # fmt: skip


def _band(value: Decimal, limits: tuple[Decimal, Decimal, Decimal]) -> str:
    """green below the first limit, yellow below the second, orange below the third, else red."""
    return next((ORDER[i] for i, top in enumerate(limits) if value < top), "red")


def _percent(value: Decimal) -> str:
    return f"{(value * 100).quantize(Decimal('0.1'))}%"


def factors(given: dict[str, Any], due: Decimal) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Every risk factor (severity, message, the figure behind it) and the ratios."""
    income: Decimal | None = given.get("monthly_income")
    balance: Decimal | None = given.get("current_balance")
    obligations = given.get("active_installments_monthly", ZERO) + given.get(
        "other_monthly_obligations", ZERO
    )
    out: list[dict[str, Any]] = []
    ratios: dict[str, Any] = {"dti_ratio": None, "payment_to_income_ratio": None,
                              "remaining_monthly_funds": None}  # fmt: skip
    if income:
        share = due / income
        dti = (obligations + due) / income
        ratios.update(
            payment_to_income_ratio=round(float(share), 4), dti_ratio=round(float(dti), 4),
            remaining_monthly_funds=income - obligations - due,
        )  # fmt: skip
        level = _band(share, (Decimal("0.10"), Decimal("0.20"), Decimal("0.30")))
        out.append(_factor("payment_to_income", level,
                           f"The payment takes {_percent(share)} of your monthly income.",
                           _percent(share)))  # fmt: skip
        level = _band(dti, (Decimal("0.20"), Decimal("0.36"), Decimal("0.43")))
        out.append(_factor("debt_to_income", level,
                           f"With it, debts take {_percent(dti)} of your income "
                           "(lenders worry above 36%).", _percent(dti)))  # fmt: skip
    else:
        unknown = "Without your income the plan's weight cannot be judged."
        out.append(_factor("income_unknown", "yellow", unknown, None))
    if balance is not None:
        after = balance - due
        ratios["balance_after_first_payment"] = after
        level = ("green" if after >= 3 * due else "yellow" if after >= due
                 else "orange" if after >= 0 else "red")  # fmt: skip
        said = f"After the first payment your balance is {after}."
        out.append(_factor("balance_after_first_payment", level, said, str(after)))
    else:
        ratios["balance_after_first_payment"] = None
    count = int(given.get("active_installments_count", 0))
    level = ORDER[min(max(count - 1, 0), 3)]
    out.append(_factor("active_installments", level,
                       f"You already pay {count} installment plan{'s' if count != 1 else ''}.",
                       str(count)))  # fmt: skip
    category = given["category"]
    if category in NEEDS_ON_CREDIT:
        out.append(_factor("category", "red",
                           f"Paying for {category} in installments means everyday needs are "
                           "on credit.", category))  # fmt: skip
    apr: Decimal = given["interest_rate"]
    level = _band(apr, (Decimal("10.01"), Decimal("20.01"), Decimal("30.01")))
    rate = f"{apr.normalize():f}%"
    out.append(_factor("interest_rate", level, f"The interest rate is {rate} a year.", rate))
    return out, ratios


def _factor(name: str, severity: str, message: str, stat: str | None) -> dict[str, Any]:
    return {"factor": name, "severity": severity, "message": message, "stat": stat}


def level_of(found: list[dict[str, Any]]) -> tuple[str, int]:
    """The risk level and score from the factors' severities."""
    score = sum(POINTS[f["severity"]] for f in found)
    if any(f["severity"] == "red" for f in found):
        return "red", score
    return ("orange" if score >= 4 else "yellow" if score >= 1 else "green"), score


def calculate(given: dict[str, Any], today: dt.date) -> dict[str, Any]:
    """The calculator's whole answer (installment_models.dart:532-575)."""
    principal: Decimal = given["purchase_amount"]
    apr: Decimal = given["interest_rate"]
    n: int = given["num_payments"]
    rows = schedule(principal, apr, n, today)
    total = sum((r["amount"] for r in rows), ZERO)
    due = rows[0]["amount"]
    found, ratios = factors(given, due)
    level, score = level_of(found)
    bad = [f for f in found if f["severity"] in ("orange", "red")]
    interest = total - principal
    months_to_save = None
    spare = ratios["remaining_monthly_funds"]
    if spare is not None and spare > 0:
        months_to_save = int((principal / spare).to_integral_value(rounding="ROUND_CEILING"))
    alternative = (
        {"recommendation_type": "save_first", "title": "Save up instead",
         "description": f"Putting aside {spare} a month buys it in {months_to_save} month"
                        f"{'s' if months_to_save != 1 else ''} without {interest} of interest.",
         "savings_amount": interest, "time_needed_days": months_to_save * 30}
        if level in ("orange", "red") and months_to_save is not None else None
    )  # fmt: skip
    return {
        "risk_level": level, "risk_score": float(score), "verdict": VERDICTS[level],
        "monthly_payment": due, "total_interest": interest, "total_cost": total,
        "first_payment_amount": due, "payment_schedule": rows, **ratios,
        "risk_factors": found,
        "personalized_message": (
            f"{n} payments of {due} ({total} in all, {interest} of it interest). "
            + (f"Watch: {'; '.join(f['message'] for f in bad)}" if bad else "Nothing stands out.")
        ),
        "alternative_recommendation": alternative,
        "warnings": [f["message"] for f in bad],
        "tips": (["Pay on the due day: a late payment adds fees."]
                 + (["Choose fewer payments or a lower rate to pay less interest."]
                    if interest > 0 else [])),
        "statistics": [f"Interest adds {_percent(interest / principal)} to the price."],
        "potential_late_fee": cents(due * LATE_FEE_SHARE),
        "potential_overdraft": (-ratios["balance_after_first_payment"]
                                if (ratios["balance_after_first_payment"] or ZERO) < 0 else None),
        "hidden_cost_message": (f"Interest costs {interest} over the plan." if interest > 0
                                else None),
    }  # fmt: skip
