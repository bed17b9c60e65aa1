"""The installment planner's calculator call (installment_service.dart:146) with the app's exact
body through the gateway: a raw body (no envelope), money as numbers."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from typing import Any

import httpx

from tests.e2e.calendar_support import month_totals, saved_month
from tests.e2e.conftest import Stack
from tests.helpers import wait_until

# InstallmentCalculatorInput.toJson (installment_models.dart:432); current_balance left out.
BODY = {
    "purchase_amount": 1200.0, "category": "electronics", "num_payments": 12,
    "interest_rate": 24.0, "monthly_income": 3000.0, "age_group": "25-34",
    "active_installments_count": 1, "active_installments_monthly": 100.0,
    "credit_card_debt": 0.0, "other_monthly_obligations": 200.0, "planning_mortgage": False,
}  # fmt: skip


async def test_the_calculator_answers_the_raw_body_the_app_reads(roomy_stack: Stack) -> None:
    stack = roomy_stack
    headers = stack.bearer((await stack.register(timezone="UTC"))["access_token"])
    for path in ("/api/installments/calculator", "/api/installments/calculator/"):
        answer = await stack.client.post(path, json=BODY, headers=headers)
        assert answer.status_code == 200, answer.text
    raw = answer.json(parse_float=Decimal)
    assert "success" not in raw  # installments answer raw bodies
    assert (raw["monthly_payment"], raw["total_cost"]) == (
        Decimal("113.47"),
        Decimal("1361.67"),
    )
    assert raw["risk_level"] == "yellow"
    assert isinstance(raw["risk_score"], Decimal)  # a JSON number (the app casts as num)
    assert raw["balance_after_first_payment"] is None  # no balance sent
    schedule = raw["payment_schedule"]
    assert [r["payment_number"] for r in schedule] == list(range(1, 13))
    first = dt.date.fromisoformat(schedule[0]["date"])
    assert first > dt.datetime.now(dt.UTC).date()
    assert sum(r["amount"] for r in schedule) == raw["total_cost"]
    assert isinstance(raw["statistics"], list)
    assert {f["factor"] for f in raw["risk_factors"]} >= {"payment_to_income", "interest_rate"}
    bad = await stack.client.post(
        "/api/installments/calculator", json={**BODY, "num_payments": 0}, headers=headers
    )
    assert bad.status_code == 422
    assert isinstance(bad.json()["detail"], str)  # installment_service.dart:44 casts it
    anonymous = await stack.client.post("/api/installments/calculator", json=BODY)
    assert anonymous.status_code == 401


JSON = dict[str, Any]
SOFIA = "Europe/Sofia"


def plan(first: dt.date, **over: Any) -> JSON:
    """Installment.toJson (installment_models.dart:668-688) as the app sends a new one: ids
    empty, dates local ISO without offset, the server's fields filled in by the app."""
    stamp = f"{first.isoformat()}T00:00:00.000"
    return {
        "id": "", "user_id": "", "item_name": "Laptop", "category": "electronics",
        "total_amount": 1000.0, "payment_amount": 90.0, "interest_rate": 0.0,
        "total_payments": 12, "payments_made": 0, "payment_frequency": "monthly",
        "first_payment_date": stamp, "next_payment_date": stamp, "final_payment_date": stamp,
        "status": "active", "created_at": "2020-01-01T00:00:00.000",
        "updated_at": "2020-01-01T00:00:00.000",
    } | over  # fmt: skip


def raw(answer: httpx.Response, status: int = 200) -> Any:
    """The raw body (installments answer no envelope), numbers as Decimals."""
    assert answer.status_code == status, answer.text
    return answer.json(parse_float=Decimal)


async def sofia_user(stack: Stack) -> tuple[dict[str, str], str]:
    """A fresh Sofia user with an income of 3000; the headers and the user id."""
    account = await stack.register(timezone=SOFIA)
    headers = stack.bearer(account["access_token"])
    answer = await stack.client.patch("/api/users/me", json={"income": 3000}, headers=headers)
    assert answer.status_code == 200, answer.text
    return headers, str(account["user"]["id"])


def sofia_today() -> dt.date:
    """Today in Sofia."""
    return dt.datetime.now(zoneinfo.ZoneInfo(SOFIA)).date()


async def test_an_installment_from_creation_to_deletion(roomy_stack: Stack) -> None:
    """Create with the app's whole object, list with the summary, mark payments made (the app
    GETs, adds 1, PATCHes), notes, cancel, complete, delete; another user sees none of it."""
    stack = roomy_stack
    headers, me = await sofia_user(stack)
    today = sofia_today()
    first = today + dt.timedelta(days=3)
    made = raw(await stack.client.post("/api/installments", json=plan(first), headers=headers),
               201)  # fmt: skip
    assert made["id"]
    assert made["user_id"] == me
    assert made["status"] == "active"
    assert made["notes"] is None
    assert (made["total_amount"], made["payment_amount"]) == (Decimal("1000.0"), Decimal("90.0"))
    assert made["first_payment_date"] == made["next_payment_date"] == first.isoformat()
    final = dt.date.fromisoformat(made["final_payment_date"])
    assert (final.year * 12 + final.month) - (first.year * 12 + first.month) == 11
    assert made["created_at"] != "2020-01-01T00:00:00.000"  # server-owned
    path = f"/api/installments/{made['id']}"
    assert raw(await stack.client.get(path, headers=headers)) == made

    listed = raw(await stack.client.get("/api/installments", headers=headers))
    assert (listed["total_active"], listed["total_completed"]) == (1, 0)
    assert listed["total_monthly_payment"] == Decimal("90.00")
    assert listed["next_payment_date"] == first.isoformat()
    assert listed["next_payment_amount"] == Decimal("90.00")
    assert listed["current_installment_load"] == Decimal("0.0300")  # 90 / 3000
    assert "3.0%" in listed["load_message"]
    assert [i["id"] for i in listed["installments"]] == [made["id"]]

    current = raw(await stack.client.get(path, headers=headers))
    paid = raw(await stack.client.patch(
        path, json={"payments_made": current["payments_made"] + 1}, headers=headers))  # fmt: skip
    assert paid["payments_made"] == 1
    assert paid["next_payment_date"] > first.isoformat()
    noted = raw(await stack.client.patch(path, json={"notes": "0 % promo"}, headers=headers))
    assert noted["notes"] == "0 % promo"
    assert noted["payments_made"] == 1
    cancelled = raw(await stack.client.patch(path, json={"status": "cancelled"}, headers=headers))
    assert cancelled["status"] == "cancelled"
    only = raw(await stack.client.get("/api/installments?status=cancelled", headers=headers))
    assert [i["id"] for i in only["installments"]] == [made["id"]]
    assert only["total_active"] == 0
    assert only["total_monthly_payment"] == 0

    other = raw(await stack.client.post(
        "/api/installments", json=plan(first, item_name="Sofa", category="furniture"),
        headers=headers), 201)  # fmt: skip
    done = raw(await stack.client.patch(f"/api/installments/{other['id']}",
                                        json={"payments_made": 12}, headers=headers))  # fmt: skip
    assert done["status"] == "completed"
    listed = raw(await stack.client.get("/api/installments/", headers=headers))
    assert (listed["total_active"], listed["total_completed"]) == (0, 1)
    assert listed["next_payment_date"] is None
    assert listed["next_payment_amount"] is None

    stranger = stack.bearer((await stack.register())["access_token"])
    for method in ("GET", "PATCH", "DELETE"):
        foreign = await stack.client.request(method, path, json={"notes": "x"}, headers=stranger)
        assert foreign.status_code == 404, foreign.text
        assert isinstance(foreign.json()["detail"], str)  # installment_service.dart:44
    assert raw(await stack.client.get("/api/installments", headers=stranger))["installments"] == []

    gone = await stack.client.delete(path, headers=headers)
    assert gone.status_code == 204, gone.text
    assert (await stack.client.get(path, headers=headers)).status_code == 404
    assert (await stack.client.delete(path, headers=headers)).status_code == 404


async def test_bad_installments_are_refused_whole(roomy_stack: Stack) -> None:
    stack = roomy_stack
    headers, _ = await sofia_user(stack)
    first = sofia_today()
    for bad in (
        {"payment_amount": 100.0},  # 11 × 100 ≥ 1000: the last payment would be ≤ 0
        {"total_amount": 1000.005},
        {"payments_made": 13},
        {"total_payments": 0},
        {"payment_frequency": "daily"},
        {"first_payment_date": "next week"},
        {"item_name": "  "},
    ):
        answer = await stack.client.post("/api/installments", json=plan(first, **bad),
                                         headers=headers)  # fmt: skip
        assert answer.status_code == 422, (bad, answer.text)
        assert isinstance(answer.json()["detail"], str)
    made = raw(await stack.client.post("/api/installments", json=plan(first), headers=headers),
               201)  # fmt: skip
    path = f"/api/installments/{made['id']}"
    for bad in ({"payments_made": 13}, {"payments_made": -1}, {"status": "overdue"}):
        answer = await stack.client.patch(path, json=bad, headers=headers)
        assert answer.status_code == 422, (bad, answer.text)
    assert raw(await stack.client.get(path, headers=headers))["payments_made"] == 0
    listed = raw(await stack.client.get("/api/installments", headers=headers))
    assert len(listed["installments"]) == 1  # nothing half-applied


async def test_overdue_calendar_and_profile(roomy_stack: Stack) -> None:
    """An unpaid payment before today is overdue; the month calendar shows each payment as
    paid, due or overdue; the profile's income measures the load."""
    stack = roomy_stack
    headers, me = await sofia_user(stack)
    today = sofia_today()
    late_first = today - dt.timedelta(days=40)
    late = raw(await stack.client.post(
        "/api/installments", json=plan(late_first, payment_frequency="weekly",
                                       total_amount=300.0, payment_amount=50.0,
                                       total_payments=6), headers=headers), 201)  # fmt: skip
    assert late["status"] == "overdue"
    overdue = raw(await stack.client.get("/api/installments?status=overdue", headers=headers))
    assert [i["id"] for i in overdue["installments"]] == [late["id"]]
    assert overdue["total_active"] == 1
    assert overdue["total_monthly_payment"] == Decimal("216.67")  # 50 × 52 / 12

    month = raw(
        await stack.client.get(
            f"/api/installments/calendar/{late_first.year}/{late_first.month}", headers=headers
        )
    )
    payments = [p for p in month["payments"] if p["installment_id"] == late["id"]]
    assert payments
    assert payments[0]["date"] == late_first.isoformat()
    assert all(p["status"] == "overdue" and p["amount"] == 50 for p in payments)
    assert month["total_due"] == sum(p["amount"] for p in month["payments"])
    raw(await stack.client.patch(f"/api/installments/{late['id']}", json={"payments_made": 1},
                                 headers=headers))  # fmt: skip
    month = raw(
        await stack.client.get(
            f"/api/installments/calendar/{late_first.year}/{late_first.month}", headers=headers
        )
    )
    assert month["payments"][0]["status"] == "paid"
    assert month["total_paid"] == Decimal("50")
    assert month["days"][late_first.isoformat()][0]["payment_number"] == 1

    missing = await stack.client.get("/api/installments/profile", headers=headers)
    assert missing.status_code == 404
    form = {"id": "", "user_id": "", "monthly_income": 5000.0, "current_balance": 1200.5,
            "age_group": "25-34", "credit_card_debt": 0.0, "credit_card_payment": None,
            "other_loans_payment": 150.0, "rent_payment": 900.0, "subscriptions_payment": 30.0,
            "planning_mortgage": False, "updated_at": "2020-01-01T00:00:00.000"}  # fmt: skip
    saved = raw(await stack.client.post("/api/installments/profile", json=form, headers=headers))
    assert (saved["user_id"], saved["monthly_income"]) == (me, Decimal("5000.0"))
    assert saved["credit_card_payment"] is None
    assert saved["age_group"] == "25-34"
    assert saved["updated_at"] != form["updated_at"]
    assert raw(await stack.client.get("/api/installments/profile", headers=headers)) == saved
    listed = raw(await stack.client.get("/api/installments", headers=headers))
    assert listed["current_installment_load"] == Decimal("0.0433")  # 216.67 / 5000
    bad = await stack.client.post("/api/installments/profile", json={**form, "age_group": "9"},
                                  headers=headers)  # fmt: skip
    assert bad.status_code == 422


async def test_achievements_count_calculations_and_declines(roomy_stack: Stack) -> None:
    """Two calculations: a red one never followed by an installment (declined: its interest
    saved) and a green one; then an installment of the red one's category would not count."""
    stack = roomy_stack
    headers, me = await sofia_user(stack)
    empty = raw(await stack.client.get("/api/installments/achievements", headers=headers))
    assert (empty["calculations_performed"], empty["achievement_level"]) == (0, "beginner")
    assert empty["last_calculation_date"] is None
    assert empty["user_id"] == me
    risky = {**BODY, "category": "groceries", "purchase_amount": 900.0, "interest_rate": 36.0,
             "monthly_income": 1000.0, "num_payments": 6}  # fmt: skip
    red = raw(await stack.client.post("/api/installments/calculator", json=risky,
                                      headers=headers))  # fmt: skip
    assert red["risk_level"] in ("orange", "red")
    raw(await stack.client.post("/api/installments/calculator", json=BODY, headers=headers))

    async def counted() -> bool:
        found = raw(await stack.client.get("/api/installments/achievements", headers=headers))
        return bool(found["calculations_performed"] == 2)

    await wait_until(counted, timeout=20, what="both calculations")
    found = raw(await stack.client.get("/api/installments/achievements", headers=headers))
    assert found["calculations_declined"] == 1
    assert found["interest_saved"] == red["total_interest"]
    assert found["achievement_level"] == "aware"
    assert found["last_calculation_date"] is not None
    raw(await stack.client.post("/api/installments", headers=headers,
                                json=plan(sofia_today(), category="groceries")), 201)  # fmt: skip
    found = raw(await stack.client.get("/api/installments/achievements", headers=headers))
    assert found["calculations_declined"] == 0  # the user took it after all
    assert found["days_without_new_installment"] == 0


async def test_payments_are_fixed_amounts_in_the_budget_calendar(roomy_stack: Stack) -> None:
    """An installment due on the 10th of next month: that day's plan holds the payment as a
    fixed line, the month's discretionary money is exactly that much lower (income conserved);
    deleting it gives the money back."""
    stack = roomy_stack
    headers, _ = await sofia_user(stack)
    body = {"income": {"monthly_income": 6000}, "fixed_expenses": {"rent": 1500}}
    answer = await stack.client.post("/api/onboarding/submit", json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    today = sofia_today()
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)

    async def month_plan() -> list[JSON]:
        return await saved_month(stack, headers, year, month)

    before = month_totals(await month_plan())
    due = dt.date(year, month, 10)
    made = raw(await stack.client.post("/api/installments", headers=headers, json=plan(
        due, total_amount=1000.0, payment_amount=250.0, total_payments=4)), 201)  # fmt: skip

    async def fixed() -> bool:
        return month_totals(await month_plan()).get("installments") == Decimal("250.00")

    await wait_until(fixed, timeout=20, what="the payment in the budget calendar")
    days = await month_plan()
    after = month_totals(days)
    on_due = next(d for d in days if d["date"] == due.isoformat())
    assert Decimal(str(on_due["planned_budget"]["installments"]["planned"])) == 250
    assert [d["date"] for d in days if "installments" in d["planned_budget"]] == [due.isoformat()]
    assert sum(after.values()) == sum(before.values()) == 6000
    assert after["housing"] == before["housing"]
    assert after["savings"] == before["savings"]
    rest = ("food", "transportation", "healthcare", "entertainment", "shopping", "travel",
            "education", "other")  # fmt: skip
    spend = sum(after.get(c, Decimal(0)) for c in rest)
    assert spend == sum(before.get(c, Decimal(0)) for c in rest) - 250

    # The month after is not planned yet: read, it is computed with the payment too, exactly
    # as its rollover will store it.
    later_year, later_month = (year + 1, 1) if month == 12 else (year, month + 1)
    later = await saved_month(stack, headers, later_year, later_month)
    on_later = next(
        d for d in later if d["date"] == dt.date(later_year, later_month, 10).isoformat()
    )
    assert Decimal(str(on_later["planned_budget"]["installments"]["planned"])) == 250
    assert month_totals(later)["installments"] == 250

    gone = await stack.client.delete(f"/api/installments/{made['id']}", headers=headers)
    assert gone.status_code == 204

    async def released() -> bool:
        return "installments" not in month_totals(await month_plan())

    await wait_until(released, timeout=20, what="the payment leaving the budget calendar")
    assert month_totals(await month_plan()) == before
