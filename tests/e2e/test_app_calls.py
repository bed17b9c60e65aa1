"""The app's own requests, byte for byte as its Dart code builds them, through the gateway.

Each test names the Dart location whose body or query it copies and asserts the fields that
code reads back. Money is compared as Decimal (the app reads JSON numbers).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest_asyncio

from contracts.budget import APP_ICONS
from tests.conftest import Infra
from tests.e2e.conftest import STRONG_PASSWORD, Stack, journey_stack_for
from tests.e2e.owasp_support import assert_error

JSON = dict[str, Any]
# onboarding_finish_screen.dart sends the device zone; the curl run sent none.
ONBOARDING: JSON = {"income": {"monthly_income": 6000}, "fixed_expenses": {"rent": 1500}}


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def app_stack(infra: Infra) -> AsyncIterator[Stack]:
    """One stack for the module (every test registers its own users)."""
    async with journey_stack_for(infra) as stack:
        yield stack


def data(answer: Any, status: int = 200) -> Any:
    """``data`` of a success envelope (numbers as Decimal)."""
    assert answer.status_code == status, answer.text
    body = answer.json(parse_float=Decimal)
    assert body["success"] is True
    return body["data"]


async def onboarded_user(stack: Stack, zone: str, **onboarding: Any) -> dict[str, str]:
    """Register in ``zone`` and onboard (income 6000, rent 1500) without naming a zone."""
    me = await stack.register(timezone=zone)
    headers = stack.bearer(me["access_token"])
    body = {**ONBOARDING, **onboarding}
    data(await stack.client.post("/api/onboarding/submit", json=body, headers=headers))
    return headers


def local_today(zone: str) -> dt.date:
    """Today in ``zone``."""
    return dt.datetime.now(ZoneInfo(zone)).date()


def at(zone: str, day: dt.date, hour: int, minute: int) -> str:
    """An ISO instant with the zone's offset (what an app in that zone would send)."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZoneInfo(zone)).isoformat()


async def spend(stack: Stack, headers: dict[str, str], amount: str, spent_at: str) -> JSON:
    """POST /transactions/ as add_expense_screen sends it (transaction_model.dart:181-201)."""
    body = {"amount": float(amount), "category": "food", "spent_at": spent_at}
    result: JSON = data(
        await stack.client.post("/api/transactions/", json=body, headers=headers), 201
    )
    return result


async def calendar_day(stack: Stack, headers: dict[str, str], day: dt.date) -> JSON:
    """The /calendar/saved entry of ``day`` (api_service.dart:1161)."""
    month = data(
        await stack.client.get(f"/api/calendar/saved/{day.year}/{day.month}", headers=headers)
    )["calendar"]
    entry: JSON = next(e for e in month if e["date"] == day.isoformat())
    return entry


async def test_transactions_with_utc_datetime_bounds(app_stack: Stack) -> None:
    """transaction_service.dart:52-57: the bounds are ``toUtc().toIso8601String()``."""
    stack = app_stack
    headers = stack.bearer((await stack.register(timezone="Europe/Sofia"))["access_token"])
    inside = await spend(stack, headers, "5.00", "2026-11-15T10:00:00+02:00")
    await spend(stack, headers, "6.00", "2026-10-31T23:59:00+02:00")  # before the range
    # The app's month start/end in Sofia, sent as UTC instants with milliseconds and 'Z'.
    params: dict[str, str | int] = {
        "skip": 0,
        "limit": 100,
        "start_date": "2026-10-31T22:00:00.000Z",
        "end_date": "2026-11-30T21:59:59.999Z",
    }
    listed = data(await stack.client.get("/api/transactions/", params=params, headers=headers))
    assert [t["id"] for t in listed] == [inside["id"]]
    # A local datetime without offset is read in the profile zone; a plain date is a local day.
    naive = {"start_date": "2026-11-01T00:00:00.000", "end_date": "2026-11-30"}
    got = data(await stack.client.get("/api/transactions", params=naive, headers=headers))
    assert [t["id"] for t in got] == [inside["id"]]
    bad = await stack.client.get(
        "/api/transactions", params={"start_date": "yesterday"}, headers=headers
    )
    assert "start_date" in str(assert_error(bad, 422)["error"]["details"])


async def test_by_date_answers_a_bare_list(app_stack: Stack) -> None:
    """api_service.dart:3877: ``?date=YYYY-MM-DD``; it keeps the answer only if the body is a
    JSON list, and reads ``category`` and ``amount`` of each item."""
    stack = app_stack
    headers = stack.bearer((await stack.register(timezone="Asia/Tokyo"))["access_token"])
    late = await spend(stack, headers, "7.25", "2026-11-20T23:30:00+09:00")
    await spend(stack, headers, "1.00", "2026-11-21T00:30:00+09:00")  # the next Tokyo day
    answer = await stack.client.get(
        "/api/transactions/by-date", params={"date": "2026-11-20"}, headers=headers
    )
    assert answer.status_code == 200
    rows = answer.json(parse_float=Decimal)
    assert isinstance(rows, list)
    assert [(r["id"], r["category"], r["amount"]) for r in rows] == [
        (late["id"], "food", Decimal("7.25"))
    ]
    other = stack.bearer((await stack.register())["access_token"])
    theirs = await stack.client.get(
        "/api/transactions/by-date", params={"date": "2026-11-20"}, headers=other
    )
    assert theirs.json() == []
    assert_error(await stack.client.get("/api/transactions/by-date", headers=headers), 422)


async def test_static_routes_win_over_the_id_route(app_stack: Stack) -> None:
    """/transactions/receipt, /by-date and /budget-status are never taken for an id; a path
    that is no uuid is an unknown route (404), never 405 or 422."""
    stack = app_stack
    headers = stack.bearer((await stack.register())["access_token"])
    receipt = await stack.client.post(
        "/api/transactions/receipt", files={"file": ("r.jpg", b"\xff\xd8\xff", "")}, headers=headers
    )
    # The OCR route (its service does not run in this stack: 503), never the id route's 404/405.
    assert_error(receipt, 503)
    for path in ("/api/transactions/by-date?date=2026-11-01", "/api/transactions/budget-status"):
        assert (await stack.client.get(path, headers=headers)).status_code == 200
    for method in ("GET", "PUT", "DELETE"):
        answer = await stack.client.request(method, "/api/transactions/12345", headers=headers)
        assert_error(answer, 404)


async def test_receipt_screen_create_with_confidence_score(app_stack: Stack) -> None:
    """receipt_capture_screen.dart:354-364: the reviewed receipt becomes a transaction."""
    stack = app_stack
    headers = stack.bearer((await stack.register())["access_token"])
    body = {
        "amount": 23.8,
        "category": "food",
        "merchant": "Billa",
        "spent_at": "2026-11-29T22:00:00.000Z",
        "confidence_score": 0.87,
        "notes": "Source: OCR Receipt",
    }
    created = data(await stack.client.post("/api/transactions/", json=body, headers=headers), 201)
    assert (created["amount"], created["confidence_score"]) == (Decimal("23.80"), Decimal("0.870"))
    assert created["merchant"] == "Billa"
    assert isinstance(created["rebalanced"], bool)
    url = f"/api/transactions/{created['id']}"
    again = data(await stack.client.get(url, headers=headers))
    assert again["confidence_score"] == Decimal("0.870")
    # The whole TransactionModel.toJson (transaction_model.dart:76-97), as an edit might send it.
    as_read = (await stack.client.get(url, headers=headers)).json()["data"]
    whole = {**as_read, "amount": 24.8, "rebalanced": True, "user_id": str(uuid.uuid4())}
    edited = data(
        await stack.client.put(f"/api/transactions/{created['id']}", json=whole, headers=headers)
    )
    assert (edited["amount"], edited["user_id"]) == (Decimal("24.80"), again["user_id"])


async def test_check_affordability_with_a_local_datetime(app_stack: Stack) -> None:
    """api_service.dart:2623: ``date`` is ``DateTime.now().toIso8601String()`` (local, no
    offset); the add-expense screen reads the warning fields."""
    stack = app_stack
    zone = "America/New_York"
    headers = await onboarded_user(stack, zone)
    today = local_today(zone)
    now_local = dt.datetime.now(ZoneInfo(zone)).replace(tzinfo=None).isoformat()
    body = {"category": "food", "amount": 12.5, "date": now_local}
    result = data(
        await stack.client.post("/api/transactions/check-affordability", json=body, headers=headers)
    )
    assert result["date"] == today.isoformat()
    assert isinstance(result["can_afford"], bool)
    assert result["warning_level"] in ("safe", "caution", "warning", "danger")
    assert result["daily_budget"] > 0
    assert isinstance(result["alternative_categories"], list)
    utc = {**body, "date": dt.datetime.now(dt.UTC).isoformat()}
    again = data(
        await stack.client.post("/api/transactions/check-affordability", json=utc, headers=headers)
    )
    assert again["date"] == today.isoformat()  # an instant counts on the user's local day


async def test_settings_screen_bodies(app_stack: Stack) -> None:
    """change-password adds ``timestamp`` (api_service.dart:4593); the profile screen's PATCH
    adds ``email`` (profile_settings_screen.dart:133); delete-account sends
    ``{timestamp, confirmation: true}`` and no password (api_service.dart:4623)."""
    stack = app_stack
    me = await stack.register()
    headers = stack.bearer(me["access_token"])
    profile = {
        "name": "Ana",
        "email": "someone.else@example.com",
        "income": 5200.0,
        "savings_goal": 400.0,
        "region": "EU",
        "budget_method": "50/30/20",
    }
    updated = data(await stack.client.patch("/api/users/me", json=profile, headers=headers))
    assert (updated["name"], updated["email"], updated["income"]) == (
        "Ana",
        me["email"],
        Decimal("5200.00"),
    )
    new_password = STRONG_PASSWORD + "!x"
    change = {
        "current_password": STRONG_PASSWORD,
        "new_password": new_password,
        "timestamp": dt.datetime.now().isoformat(),
    }
    changed = data(
        await stack.client.post("/api/auth/change-password", json=change, headers=headers)
    )
    headers = stack.bearer(changed["access_token"])
    refused = await stack.client.request(
        "DELETE", "/api/auth/delete-account", json={"timestamp": "x"}, headers=headers
    )
    assert_error(refused, 422)  # neither a confirmation nor the password
    wrong = await stack.client.request(
        "DELETE", "/api/auth/delete-account", json={"password": "not it"}, headers=headers
    )
    assert_error(wrong, 400, "invalid_password")
    body = {"timestamp": dt.datetime.now().isoformat(), "confirmation": True}
    gone = await stack.client.request(
        "DELETE", "/api/auth/delete-account", json=body, headers=headers
    )
    assert data(gone)["deleted"] is True
    login = {"email": me["email"], "password": new_password}
    assert (await stack.client.post("/api/auth/login", json=login)).status_code == 401


async def test_dashboard_icons_are_the_apps(app_stack: Stack) -> None:
    """api_service.dart:956-965 maps only these icon names; colors are #RRGGBB."""
    stack = app_stack
    headers = await onboarded_user(stack, "UTC")
    await spend(stack, headers, "3.00", dt.datetime.now(dt.UTC).isoformat())
    board = data(await stack.client.get("/api/dashboard", headers=headers))
    looks = board["daily_targets"] + board["transactions"]
    assert looks
    for item in looks:
        assert item["icon"] in APP_ICONS, item
        assert len(item["color"]) == 7
        assert item["color"].startswith("#")


async def test_calendar_redistribute_button(app_stack: Stack) -> None:
    """budget_provider.dart:676 posts ``{calendar, strategy}`` to /calendar/redistribute."""
    stack = app_stack
    headers = await onboarded_user(stack, "UTC")
    body = {"calendar": {"1": {"total": 0.0, "limit": 150.0}}, "strategy": "balance"}
    moved = data(await stack.client.post("/api/calendar/redistribute", json=body, headers=headers))
    assert isinstance(moved["moves"], list)
    assert moved["total_moved"] >= 0


async def test_spend_counts_on_the_profile_zones_local_day(app_stack: Stack) -> None:
    """Issue #8 §3, as a new user: zone from registration, no header, onboarding without a
    zone. Los Angeles (UTC-8): 00:30 and 20:30 local both land on the local day."""
    stack = app_stack
    zone = "America/Los_Angeles"
    headers = await onboarded_user(stack, zone)
    me = data(await stack.client.get("/api/users/me", headers=headers))
    assert me["timezone"] == zone
    today = local_today(zone)
    await spend(stack, headers, "1.00", at(zone, today, 0, 30))
    await spend(stack, headers, "2.00", at(zone, today, 20, 30))
    assert (await calendar_day(stack, headers, today))["spent"] == Decimal("3.00")
    live = data(await stack.client.get("/api/budget/live_status", headers=headers))
    assert (live["date"], live["spent_today"]) == (today.isoformat(), Decimal("3.00"))
    tomorrow = today + dt.timedelta(days=1)
    if tomorrow.month == today.month:
        assert (await calendar_day(stack, headers, tomorrow))["spent"] == 0


async def test_spend_at_a_utc_plus_month_start_stays_in_the_local_month(app_stack: Stack) -> None:
    """Sofia (UTC+2): 00:30 on the 1st is 22:30Z on the last day of the previous UTC month; it
    counts on local day 1 and lowers this month's balance."""
    stack = app_stack
    zone = "Europe/Sofia"
    headers = await onboarded_user(stack, zone)
    first = local_today(zone).replace(day=1)
    await spend(stack, headers, "4.50", at(zone, first, 0, 30))
    assert (await calendar_day(stack, headers, first))["spent"] == Decimal("4.50")
    board = data(await stack.client.get("/api/dashboard", headers=headers))
    assert board["balance"] == Decimal("6000.00") - Decimal("4.50")


async def test_profile_zone_change_applies_from_then_on(app_stack: Stack) -> None:
    """PATCH /users/me {timezone}: spends written after it count in the new zone; a spend
    written before keeps its day."""
    stack = app_stack
    headers = await onboarded_user(stack, "UTC")
    day = dt.datetime.now(dt.UTC).date().replace(day=10)
    before = await spend(stack, headers, "1.00", f"{day.isoformat()}T20:00:00+00:00")
    assert before["amount"] == Decimal("1.00")
    data(
        await stack.client.patch("/api/users/me", json={"timezone": "Asia/Tokyo"}, headers=headers)
    )
    await spend(stack, headers, "2.00", f"{day.isoformat()}T20:00:00+00:00")  # 05:00 next day
    assert (await calendar_day(stack, headers, day))["spent"] == Decimal("1.00")
    nxt = day + dt.timedelta(days=1)
    assert (await calendar_day(stack, headers, nxt))["spent"] == Decimal("2.00")
    detail = data(
        await stack.client.get(f"/api/calendar/day/{day.year}/{day.month}/10", headers=headers)
    )
    assert [t["id"] for t in detail["transactions"]] == [before["id"]]
