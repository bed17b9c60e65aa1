"""User-local days in the ``budget_days`` projection on Postgres: late evening and early
morning, DST transition days, far-from-UTC zones at month ends, amends across midnight and a
zone that arrives after its transactions."""

from __future__ import annotations

import calendar
import datetime as dt
import uuid
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from shared.rebuild import rebuild
from shared.settings import MitaSettings
from tests.integration.budget_world import (
    UTC,
    Key,
    World,
    own_world,
    snapshot,
)

ANSWERS: dict[str, Any] = {
    "income": {"monthly_income": "3000.00", "additional_income": "123.45"},
    "fixed_expenses": {"rent": "900.00", "phone": "30.00"},
}
INCOME = Decimal("3123.45")


def local(zone: str, *parts: int, fold: int = 0) -> dt.datetime:
    """Wall-clock (y, m, d[, h, min, s]) in ``zone``; ``fold=1``: a repeated hour's 2nd pass."""
    year, month, day, hour, minute, second = (*parts, 0, 0, 0)[:6]
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=ZoneInfo(zone), fold=fold)


async def onboarded(world: World, zone: str, today: dt.date) -> uuid.UUID:
    """A fresh user onboarded in ``zone`` on ``today``."""
    user = uuid.uuid4()
    world.budget.submit_onboarding(user, ANSWERS, zone, today)
    return user


def spend(
    world: World, user: uuid.UUID, amount: str, at: dt.datetime, kind: str = "groceries"
) -> uuid.UUID:
    """Record a transaction; return its id."""
    saved = world.ledger.record(user_id=user, amount=Decimal(amount), category=kind, spent_at=at)
    return saved.transaction.id


async def test_late_evening_and_early_morning_count_on_the_local_day(world: World) -> None:
    """23:30 in Sofia is that local day (however written); 00:30 is the next, not the UTC day."""
    sofia = await onboarded(world, "Europe/Sofia", dt.date(2026, 2, 1))
    york = await onboarded(world, "America/New_York", dt.date(2026, 2, 1))
    evening = local("Europe/Sofia", 2026, 2, 10, 23, 30)
    assert evening.astimezone(UTC) == dt.datetime(2026, 2, 10, 21, 30, tzinfo=UTC)
    spend(world, sofia, "10.01", evening.astimezone(UTC))
    spend(world, sofia, "0.99", evening.astimezone(dt.timezone(dt.timedelta(hours=9))))  # 11th
    morning = local("Europe/Sofia", 2026, 2, 11, 0, 30)
    assert morning.astimezone(UTC) == dt.datetime(2026, 2, 10, 22, 30, tzinfo=UTC)  # UTC: 10th
    spend(world, sofia, "7.00", morning.astimezone(UTC), "taxi")
    late = local("America/New_York", 2026, 2, 10, 23, 30)
    assert late.astimezone(UTC) == dt.datetime(2026, 2, 11, 4, 30, tzinfo=UTC)  # UTC: 11th
    spend(world, york, "3.33", late.astimezone(UTC), "coffee")
    await world.feed()
    assert await world.spent(sofia) == {
        (dt.date(2026, 2, 10), "food"): Decimal("11.00"),
        (dt.date(2026, 2, 11), "transportation"): Decimal("7.00"),
    }
    assert await world.spent(york) == {(dt.date(2026, 2, 10), "food"): Decimal("3.33")}


# (zone, local wall time, fold, the UTC instant it is, the local day it must count on)
TRANSITIONS = [
    ("Europe/Sofia", (2026, 3, 28, 23, 59), 0, (2026, 3, 28, 21, 59), (2026, 3, 28)),
    ("Europe/Sofia", (2026, 3, 29, 0, 0), 0, (2026, 3, 28, 22, 0), (2026, 3, 29)),
    ("Europe/Sofia", (2026, 3, 29, 2, 59), 0, (2026, 3, 29, 0, 59), (2026, 3, 29)),
    ("Europe/Sofia", (2026, 3, 29, 3, 30), 0, (2026, 3, 29, 1, 30), (2026, 3, 29)),  # no 03:30
    ("Europe/Sofia", (2026, 3, 29, 4, 0), 0, (2026, 3, 29, 1, 0), (2026, 3, 29)),
    ("Europe/Sofia", (2026, 3, 29, 23, 59), 0, (2026, 3, 29, 20, 59), (2026, 3, 29)),
    ("Europe/Sofia", (2026, 3, 30, 0, 0), 0, (2026, 3, 29, 21, 0), (2026, 3, 30)),
    ("Europe/Sofia", (2026, 10, 24, 23, 30), 0, (2026, 10, 24, 20, 30), (2026, 10, 24)),
    ("Europe/Sofia", (2026, 10, 25, 0, 0), 0, (2026, 10, 24, 21, 0), (2026, 10, 25)),
    ("Europe/Sofia", (2026, 10, 25, 3, 30), 0, (2026, 10, 25, 0, 30), (2026, 10, 25)),
    ("Europe/Sofia", (2026, 10, 25, 3, 30), 1, (2026, 10, 25, 1, 30), (2026, 10, 25)),
    ("Europe/Sofia", (2026, 10, 25, 23, 59), 0, (2026, 10, 25, 21, 59), (2026, 10, 25)),
    ("Europe/Sofia", (2026, 10, 26, 0, 0), 0, (2026, 10, 25, 22, 0), (2026, 10, 26)),
    ("America/New_York", (2026, 11, 1, 1, 30), 0, (2026, 11, 1, 5, 30), (2026, 11, 1)),
    ("America/New_York", (2026, 11, 1, 1, 30), 1, (2026, 11, 1, 6, 30), (2026, 11, 1)),
    ("America/New_York", (2026, 10, 31, 23, 30), 0, (2026, 11, 1, 3, 30), (2026, 10, 31)),
    ("Pacific/Auckland", (2026, 4, 5, 2, 30), 0, (2026, 4, 4, 13, 30), (2026, 4, 5)),
    ("Pacific/Auckland", (2026, 4, 5, 2, 30), 1, (2026, 4, 4, 14, 30), (2026, 4, 5)),
]


@pytest.mark.parametrize("zone", ["Europe/Sofia", "America/New_York", "Pacific/Auckland"])
async def test_transactions_around_dst_transitions_land_on_the_local_day(
    world: World, zone: str
) -> None:
    """Spring-forward and fall-back days (incl. both 03:30s of a repeated hour) by local day."""
    user = await onboarded(world, zone, dt.date(2026, 3, 1))
    want: dict[Key, Decimal] = {}
    for n, (_, wall, fold, utc, day) in enumerate(t for t in TRANSITIONS if t[0] == zone):
        at = local(zone, *wall, fold=fold)
        assert at.astimezone(UTC) == dt.datetime(*utc, tzinfo=UTC)
        amount = Decimal(n + 1) + Decimal("0.01") * (n + 1)
        spend(world, user, str(amount), at.astimezone(UTC))
        want[dt.date(*day), "food"] = want.get((dt.date(*day), "food"), Decimal(0)) + amount
    await world.feed()
    assert await world.spent(user) == want


@pytest.mark.parametrize(
    ("zone", "year", "month"),
    [("Europe/Sofia", 2026, 3), ("Europe/Sofia", 2026, 10), ("America/New_York", 2026, 3),
     ("America/New_York", 2026, 11), ("Pacific/Auckland", 2026, 4),
     ("Pacific/Auckland", 2026, 9)],
)  # fmt: skip
async def test_a_month_with_a_dst_change_has_one_plan_row_per_day_and_category(
    world: World, zone: str, year: int, month: int
) -> None:
    """The month's layout: every date once per category, Σ planned = the monthly plan exactly."""
    user = await onboarded(world, zone, dt.date(year, month, 1))
    await world.feed()
    first, days = dt.date(year, month, 1), calendar.monthrange(year, month)[1]
    dates = {first + dt.timedelta(days=n) for n in range(days)}
    cur = await world.conn.execute(
        sql.SQL(
            "SELECT category, count(*) AS n, count(DISTINCT day) AS d, sum(planned) AS total, "
            "min(day) AS lo, max(day) AS hi FROM {} WHERE user_id = %s AND day BETWEEN %s AND %s "
            "AND planned <> 0 GROUP BY category"
        ).format(world.projection.table("budget_days")),
        (user, first, first + dt.timedelta(days=days - 1)),
    )
    rows = {r["category"]: r for r in await cur.fetchall()}
    await world.conn.commit()
    plan = world.budget.month_plan(user, year, month)
    assert plan is not None
    assert {c: r["total"] for c, r in rows.items()} == {
        c: a for c, a in plan.categories.items() if a
    }
    assert sum(r["total"] for r in rows.values()) == INCOME
    assert all(r["n"] == r["d"] for r in rows.values())  # one row per day and category
    for spread in ("food", "transportation", "healthcare", "shopping", "education", "other"):
        assert (rows[spread]["d"], rows[spread]["lo"], rows[spread]["hi"]) == (
            days, first, max(dates)
        )  # fmt: skip
    limits: dict[dt.date, Decimal] = {}
    for (day, _), (planned, _) in (await world.cells(user, first, max(dates))).items():
        limits[day] = limits.get(day, Decimal(0)) + planned
    assert set(limits) == dates
    assert all(limit > 0 for limit in limits.values())


async def test_far_zones_count_at_month_ends_in_the_local_month(world: World) -> None:
    """New York and Auckland transactions near midnight at a month end count in their month."""
    york = await onboarded(world, "America/New_York", dt.date(2026, 1, 10))
    kiwi = await onboarded(world, "Pacific/Auckland", dt.date(2026, 1, 10))
    amounts = {york: ("1.10", "2.20", "3.30", "4.40"), kiwi: ("5.50", "6.60", "7.70", "8.80")}
    for user, zone in ((york, "America/New_York"), (kiwi, "Pacific/Auckland")):
        spend(world, user, amounts[user][0], local(zone, 2025, 12, 31, 23, 30).astimezone(UTC))
        spend(world, user, amounts[user][1], local(zone, 2026, 1, 1, 0, 30).astimezone(UTC))
        spend(world, user, amounts[user][2], local(zone, 2026, 1, 31, 23, 30).astimezone(UTC))
        spend(world, user, amounts[user][3], local(zone, 2026, 2, 1, 0, 30).astimezone(UTC))
    await world.feed()
    for user, want in ((york, ("1.10", "5.50", "4.40")), (kiwi, ("5.50", "14.30", "8.80"))):
        spent = await world.spent(user)
        months: dict[tuple[int, int], Decimal] = {}
        for (day, _), amount in spent.items():
            months[day.year, day.month] = months.get((day.year, day.month), Decimal(0)) + amount
        assert months == {
            (2025, 12): Decimal(want[0]), (2026, 1): Decimal(want[1]), (2026, 2): Decimal(want[2])
        }  # fmt: skip
        january = await world.cells(user, dt.date(2026, 1, 1), dt.date(2026, 1, 31))
        assert sum(s for _, s in january.values()) == Decimal(want[1])  # the API's month grid
        assert sum(p for p, _ in january.values()) == INCOME


async def test_amending_spent_at_across_local_midnight_moves_the_amount(world: World) -> None:
    """Amends move the amount between local days (and months); an amount-only amend stays."""
    user = await onboarded(world, "Europe/Sofia", dt.date(2026, 3, 1))
    tx = spend(world, user, "30.00", local("Europe/Sofia", 2026, 3, 10, 23, 50), "dining")
    await world.feed()
    assert await world.spent(user) == {(dt.date(2026, 3, 10), "food"): Decimal("30.00")}
    steps: list[tuple[dict[str, Any], dict[Key, Decimal]]] = [
        ({"spent_at": local("Europe/Sofia", 2026, 3, 11, 0, 10).astimezone(UTC)},
         {(dt.date(2026, 3, 11), "food"): Decimal("30.00")}),
        ({"amount": Decimal("12.34")}, {(dt.date(2026, 3, 11), "food"): Decimal("12.34")}),
        ({"spent_at": local("Europe/Sofia", 2026, 3, 31, 23, 59, 59)},
         {(dt.date(2026, 3, 31), "food"): Decimal("12.34")}),
        ({"spent_at": local("Europe/Sofia", 2026, 4, 1, 0, 0), "category": "taxi"},
         {(dt.date(2026, 4, 1), "transportation"): Decimal("12.34")}),
        ({"spent_at": local("Europe/Sofia", 2026, 3, 31, 23, 59, 59)},
         {(dt.date(2026, 3, 31), "transportation"): Decimal("12.34")}),
    ]  # fmt: skip
    for changes, want in steps:
        assert world.ledger.amend(tx, user_id=user, **changes).position
        await world.feed()
        assert await world.spent(user) == want
    world.ledger.delete(tx, user_id=user)
    await world.feed()
    assert await world.spent(user) == {}


async def test_a_zone_that_arrives_after_its_transactions_re_places_them(world: World) -> None:
    """Ledger events applied before the onboarding still end up on the user's local days."""
    user = await onboarded(world, "Europe/Sofia", dt.date(2026, 3, 1))
    spend(world, user, "4.00", dt.datetime(2026, 3, 9, 22, 30, tzinfo=UTC))  # Sofia: the 10th
    moved = spend(world, user, "5.00", dt.datetime(2026, 3, 11, 23, 0, tzinfo=UTC), "taxi")
    world.ledger.amend(moved, user_id=user, spent_at=dt.datetime(2026, 3, 12, 22, 30, tzinfo=UTC))
    await world.feed(ledger_first=True)
    assert await world.spent(user) == {
        (dt.date(2026, 3, 10), "food"): Decimal("4.00"),
        (dt.date(2026, 3, 13), "transportation"): Decimal("5.00"),
    }


async def test_rebuild_after_a_late_zone_gives_exactly_the_same_rows(
    settings: MitaSettings, conn: AsyncConnection[DictRow]
) -> None:
    """Invariant 5 read literally (same rows) when the zone arrives after the spending: the
    re-placed rows leave nothing empty behind and a deleted transaction moves to its day."""
    async with own_world(settings, conn) as world:
        user = await onboarded(world, "Europe/Sofia", dt.date(2026, 3, 1))
        spend(world, user, "1.00", dt.datetime(2026, 1, 30, 22, 0, tzinfo=UTC), "charity")
        gone = spend(world, user, "2.00", dt.datetime(2026, 3, 9, 22, 30, tzinfo=UTC))
        world.ledger.delete(gone, user_id=user)
        await world.feed(ledger_first=True)
        incremental = await snapshot(world)
        await rebuild(world.conn, world.settings, world.projection)
        assert await snapshot(world) == incremental
        cur = await world.conn.execute(
            sql.SQL("SELECT day FROM {} WHERE id = %s").format(world.projection.table("budget_tx")),
            (gone,),
        )
        assert await cur.fetchone() == {"day": dt.date(2026, 3, 10)}  # Sofia's day, not UTC's
        await world.conn.commit()
