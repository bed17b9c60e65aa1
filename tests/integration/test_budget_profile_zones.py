"""Spending lands on the user's local day in the zone of their profile, driven as the app drives
it: the zone comes from registration or ``PATCH /users/me`` (auth events), onboarding names
none, no timezone header. Zones over the whole offset range (UTC-12 to UTC+14, half and
three-quarter hours), instants near local midnights, month ends and DST changes; a rebuild from
zero equals the live fold however the three stores interleave."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import hypothesis
from hypothesis import given
from hypothesis import strategies as st
from psycopg import AsyncConnection
from psycopg.rows import DictRow

from shared.projections import apply_batch
from shared.rebuild import rebuild
from shared.settings import MitaSettings
from tests.integration.budget_world import Key, World, own_world, snapshot
from tests.integration.test_budget_invariants import ANSWERS, PROPERTY, ROLLS_UP, Op, cents

UTC, ZERO, D = dt.UTC, Decimal(0), Decimal
# The extremes and the odd offsets first (UTC-12 … UTC+14), then any zone the system knows.
EDGE_ZONES = (
    "Etc/GMT+12", "Pacific/Pago_Pago", "Pacific/Honolulu", "Pacific/Marquesas",
    "America/Anchorage", "America/Los_Angeles", "America/New_York", "America/St_Johns",
    "America/Sao_Paulo", "Atlantic/Azores", "UTC", "Europe/Sofia", "Asia/Tehran", "Asia/Kabul",
    "Asia/Kolkata", "Asia/Kathmandu", "Asia/Yangon", "Australia/Eucla", "Asia/Tokyo",
    "Australia/Adelaide", "Australia/Lord_Howe", "Pacific/Auckland", "Pacific/Chatham",
    "Pacific/Tongatapu", "Pacific/Kiritimati",
)  # fmt: skip
ALL_ZONES = tuple(sorted(z for z in available_timezones() if "/" in z or z == "UTC"))
ZONE = st.sampled_from(EDGE_ZONES) | st.sampled_from(ALL_ZONES)
# DST changes of 2026 (US, EU, southern hemisphere) and the month ends around March.
EDGES = (
    dt.datetime(2026, 3, 8, 10, tzinfo=UTC), dt.datetime(2026, 3, 29, 1, tzinfo=UTC),
    dt.datetime(2026, 4, 5, 14, tzinfo=UTC), dt.datetime(2026, 10, 25, 1, tzinfo=UTC),
    dt.datetime(2026, 11, 1, 6, tzinfo=UTC),
)  # fmt: skip


def instants(zones: list[str]) -> st.SearchStrategy[dt.datetime]:
    """Instants within two days of a local midnight on a month's first day in one of ``zones``,
    or of a DST change, written with the offset of any of the zones (or UTC)."""
    firsts = [
        dt.datetime(2026, m, 1, tzinfo=ZoneInfo(z)).astimezone(UTC) for z in zones for m in (3, 4)
    ]
    base = st.sampled_from(firsts + list(EDGES))
    moment = st.builds(lambda b, m: b + dt.timedelta(minutes=m), base, st.integers(-2880, 2880))
    shown = st.sampled_from([UTC, *(ZoneInfo(z) for z in zones)])
    return st.builds(lambda t, z: t.astimezone(z), moment, shown)


@st.composite
def scenario(draw: st.DrawFn) -> tuple[str | None, list[Op]]:
    """A registration zone (None: the profile has none, so UTC) and up to 12 writes."""
    zones = draw(st.lists(ZONE, min_size=1, max_size=3))
    when, money = instants(zones), cents(1, 30_000)
    kinds = st.sampled_from(sorted(ROLLS_UP))
    step = st.one_of(
        st.builds(Op, st.just("create"), amount=money, category=kinds, spent_at=when),
        st.builds(Op, st.just("create"), amount=money, category=kinds, spent_at=when),
        st.builds(
            Op,
            st.just("amend"),
            st.integers(0, 20),
            amount=st.none() | money,
            category=st.none() | kinds,
            spent_at=st.none() | when,
        ),
        st.builds(Op, st.just("delete"), st.integers(0, 20)),
        st.builds(Op, st.just("rezone"), zone=st.sampled_from(zones)),
    )
    registered = draw(st.none() | st.sampled_from(zones))
    return registered, draw(st.lists(step, min_size=1, max_size=12))


@dataclass
class Placed:
    """A live or deleted transaction and the zone in force when it was last written."""

    amount: Decimal
    category: str
    spent_at: dt.datetime
    zone: str
    live: bool = True

    def cell(self) -> Key:
        """Its user-local (day, plan category)."""
        return self.spent_at.astimezone(ZoneInfo(self.zone)).date(), ROLLS_UP[self.category]


def perform(world: World, user: uuid.UUID, zone: str, steps: list[Op]) -> dict[Any, Placed]:
    """Apply the steps to the write models; return where each transaction must count."""
    assert world.auth is not None
    placed: dict[Any, Placed] = {}
    for step in steps:
        live = [i for i, p in placed.items() if p.live]
        target = live[step.target % len(live)] if live else None
        if step.kind == "create" and step.amount and step.category and step.spent_at:
            saved = world.ledger.record(
                user_id=user, amount=step.amount, category=step.category, spent_at=step.spent_at
            )
            placed[saved.transaction.id] = Placed(step.amount, step.category, step.spent_at, zone)
        elif step.kind == "amend" and target is not None:
            changes = {"amount": step.amount, "category": step.category, "spent_at": step.spent_at}
            if world.ledger.amend(target, user_id=user, **changes).position:
                old = placed[target]
                placed[target] = Placed(
                    step.amount or old.amount, step.category or old.category,
                    step.spent_at or old.spent_at, zone,
                )  # fmt: skip
        elif step.kind == "delete" and target is not None:
            world.ledger.delete(target, user_id=user)
            placed[target].live = False
        elif step.kind == "rezone" and step.zone and step.zone != zone:
            world.auth.update_profile(user, {"timezone": step.zone}, {})
            zone = step.zone
    return placed


@hypothesis.settings(PROPERTY, max_examples=25)
@given(story=scenario(), rnd=st.randoms(use_true_random=False))
async def test_spend_lands_on_the_profile_zones_local_day(
    settings: MitaSettings,
    conn: AsyncConnection[DictRow],
    story: tuple[str | None, list[Op]],
    rnd: random.Random,
) -> None:
    """Σ spent per local (day, category) = the live transactions there, each in the zone its
    user's profile had when it was written; live (shuffled across stores) = rebuilt."""
    registered, steps = story
    async with own_world(settings, conn, with_auth=True) as world:
        assert world.auth is not None
        profile = {"timezone": registered} if registered else {}
        user = world.auth.register(
            email=f"z{uuid.uuid4().hex[:10]}@example.com", password="correct horse battery",
            profile=profile, annual_income=None, now=dt.datetime.now(UTC),
        ).user.id  # fmt: skip
        # The app's onboarding without a zone: the profile's holds.
        world.budget.submit_onboarding(
            user, ANSWERS, None, dt.date(2026, 3, 1), zone_in_force=registered
        )
        placed = perform(world, user, registered or "UTC", steps)
        events = await world.fresh()
        # Per store the bus keeps order; across stores any interleaving may arrive.
        queues = {s: [e for e in events if e.service == s] for s in world.seen}
        feed = []
        while any(queues.values()):
            feed.append(queues[rnd.choice([s for s, q in queues.items() if q])].pop(0))
        await apply_batch(world.conn, world.projection, feed)
        expected: dict[Key, Decimal] = {}
        for p in (p for p in placed.values() if p.live):
            expected[p.cell()] = expected.get(p.cell(), ZERO) + p.amount
        assert await world.spent(user) == expected
        incremental = await snapshot(world)
        await rebuild(world.conn, world.settings, world.projection)
        assert await snapshot(world) == incremental


async def test_spend_in_an_unplanned_month_is_kept_and_shows_once_planned(
    settings: MitaSettings, conn: AsyncConnection[DictRow]
) -> None:
    """A spend two months ahead (no plan there yet) is counted at once; the rollover that plans
    that month later shows it beside the new plan."""
    async with own_world(settings, conn, with_auth=True) as world:
        assert world.auth is not None
        user = world.auth.register(
            email=f"m{uuid.uuid4().hex[:10]}@example.com", password="correct horse battery",
            profile={"timezone": "Pacific/Kiritimati"}, annual_income=None,
            now=dt.datetime.now(UTC),
        ).user.id  # fmt: skip
        world.budget.submit_onboarding(
            user, ANSWERS, None, dt.date(2026, 3, 1), zone_in_force="Pacific/Kiritimati"
        )
        # 14:30 UTC on 31 May is 04:30 on 1 June in Kiritimati (UTC+14).
        spent_at = dt.datetime(2026, 5, 31, 14, 30, tzinfo=UTC)
        world.ledger.record(user_id=user, amount=D("9.99"), category="coffee", spent_at=spent_at)
        await world.feed()
        june = (dt.date(2026, 6, 1), dt.date(2026, 6, 30))
        assert await world.cells(user, *june) == {(june[0], "food"): (ZERO, D("9.99"))}
        assert world.budget.ensure_month(user, 2026, 6) > 0
        await world.feed()
        cells = await world.cells(user, *june)
        planned, spent = cells[(june[0], "food")]
        assert (planned > 0, spent) == (True, D("9.99"))
        assert sum(p for p, _ in cells.values()) == D("4250.50")  # the month's whole plan
