"""Time travel through the gateway: a user's calendar, balances and transactions as they
stood at instants of a scripted history, rebuilt from the log (known answers)."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from tests.e2e.conftest import Stack
from tests.e2e.owasp_support import assert_error

JSON = dict[str, Any]
ZONE = "Asia/Tokyo"  # nine hours ahead: the user's day is not the UTC day


def data(answer: httpx.Response, status: int = 200) -> Any:
    """The envelope's data (numbers as Decimal)."""
    assert answer.status_code == status, answer.text
    return answer.json(parse_float=Decimal)["data"]


def now() -> dt.datetime:
    """This instant (UTC), taken between two calls of the script."""
    return dt.datetime.now(dt.UTC)


async def as_of(stack: Stack, admin: dict[str, str], user: str, instant: str) -> JSON:
    """GET /api/admin/users/{id}/budget?as_of=…"""
    got: JSON = data(
        await stack.client.get(
            f"/api/admin/users/{user}/budget", params={"as_of": instant}, headers=admin
        )
    )
    return got


def spent_on(view: JSON, day: dt.date) -> Decimal:
    """What the as-of calendar shows spent on one day."""
    entry = next(e for e in view["budget"]["calendar"] if e["date"] == day.isoformat())
    return Decimal(str(entry["spent"]))


async def test_a_scripted_history_read_back_at_each_instant(
    ops_stack: tuple[Stack, dict[str, str]],
) -> None:
    stack, admin = ops_stack
    before = now()
    me = await stack.register(timezone=ZONE)
    user, headers = me["user"]["id"], stack.bearer(me["access_token"])
    body = {"income": {"monthly_income": 6000}, "fixed_expenses": {"rent": 1500}}
    data(await stack.client.post("/api/onboarding/submit", json=body, headers=headers))
    onboarded = now()
    today = dt.datetime.now(ZoneInfo(ZONE)).date()
    noon = dt.datetime.combine(today, dt.time(12, 0), tzinfo=ZoneInfo(ZONE)).isoformat()
    first = data(
        await stack.client.post(
            "/api/transactions/",
            json={"amount": 40.0, "category": "food", "spent_at": noon},
            headers=headers,
        ),
        201,
    )
    one = now()
    second = data(
        await stack.client.post(
            "/api/transactions/",
            json={"amount": 25.5, "category": "transportation", "spent_at": noon},
            headers=headers,
        ),
        201,
    )
    two = now()
    data(
        await stack.client.put(
            f"/api/transactions/{first['id']}", json={"amount": 60}, headers=headers
        )
    )
    data(await stack.client.delete(f"/api/transactions/{second['id']}", headers=headers))
    three = now()

    empty = await as_of(stack, admin, user, before.isoformat())
    assert empty["ledger"]["transaction_count"] == 0
    assert (empty["ledger"]["events"], empty["budget"]["events"]) == (0, 0)
    assert empty["budget"]["calendar"] == []

    planned = await as_of(stack, admin, user, onboarded.isoformat())
    assert planned["ledger"]["transaction_count"] == 0
    assert planned["budget"]["timezone"] == ZONE
    assert planned["budget"]["planned"] > 0
    assert planned["budget"]["spent"] == 0
    assert len(planned["budget"]["calendar"]) >= 28

    at_one = await as_of(stack, admin, user, one.isoformat())
    assert at_one["ledger"]["transaction_count"] == 1
    assert at_one["ledger"]["total_spent"] == Decimal("40")
    assert at_one["ledger"]["transactions"][0]["amount"] == Decimal("40")
    assert spent_on(at_one, today) == Decimal("40")

    at_two = await as_of(stack, admin, user, two.isoformat())
    assert at_two["ledger"]["transaction_count"] == 2
    assert at_two["ledger"]["total_spent"] == Decimal("65.5")
    assert at_two["ledger"]["spent_by_category"] == {
        "food": Decimal("40"), "transportation": Decimal("25.5")}  # fmt: skip
    assert spent_on(at_two, today) == Decimal("65.5")

    at_three = await as_of(stack, admin, user, three.isoformat())
    assert at_three["ledger"]["transaction_count"] == 1
    assert at_three["ledger"]["transactions"][0]["id"] == first["id"]
    assert at_three["ledger"]["total_spent"] == Decimal("60")
    assert spent_on(at_three, today) == Decimal("60")
    assert at_three["budget"]["spent"] == Decimal("60")
    # The month's plan is what it was (covers only move money within it).
    assert at_three["budget"]["planned"] == planned["budget"]["planned"]

    # A day alone means the end of that day in the user's zone: here, everything so far.
    by_day = await as_of(stack, admin, user, today.isoformat())
    assert by_day["ledger"]["total_spent"] == Decimal("60")
    assert by_day["budget"]["local_date"] == today.isoformat()
    # And now, the state as of now is the live calendar.
    live = data(
        await stack.client.get(f"/api/calendar/saved/{today.year}/{today.month}", headers=headers)
    )["calendar"]
    assert [(e["date"], e["spent"]) for e in by_day["budget"]["calendar"]] == [
        (e["date"], e["spent"]) for e in live
    ]


async def test_time_travel_is_for_admins_and_checks_its_input(
    ops_stack: tuple[Stack, dict[str, str]],
) -> None:
    stack, admin = ops_stack
    me = await stack.register()
    mine = stack.bearer(me["access_token"])
    path = f"/api/admin/users/{me['user']['id']}/budget"
    answer = await stack.client.get(path, params={"as_of": now().isoformat()}, headers=mine)
    assert_error(answer, 403)
    for bad in ("yesterday", "2026-13-01", ""):
        assert_error(await stack.client.get(path, params={"as_of": bad}, headers=admin), 422)
    unsaid = data(await stack.client.get(path, headers=admin))  # as of now
    assert unsaid["ledger"]["transaction_count"] == 0
    stranger = await as_of(stack, admin, str(uuid.uuid4()), now().isoformat())
    assert stranger["ledger"]["transaction_count"] == 0
    assert stranger["budget"]["calendar"] == []


async def test_concurrent_time_travel_reads_do_not_see_each_other(
    ops_stack: tuple[Stack, dict[str, str]],
) -> None:
    stack, admin = ops_stack
    users = []
    for amount in ("11", "22", "33"):
        me = await stack.register(timezone=ZONE)
        headers = stack.bearer(me["access_token"])
        data(
            await stack.client.post(
                "/api/transactions/",
                json={"amount": float(amount), "category": "food", "spent_at": now().isoformat()},
                headers=headers,
            ),
            201,
        )
        users.append((me["user"]["id"], Decimal(amount)))
    instant = now().isoformat()
    views = await asyncio.gather(*(as_of(stack, admin, u, instant) for u, _ in users))
    assert [v["ledger"]["total_spent"] for v in views] == [a for _, a in users]
