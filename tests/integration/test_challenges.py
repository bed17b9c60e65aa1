"""Challenge progress on Postgres from scripted histories: joins and leaves on the budget's
store, transactions on the ledger's, both projected (``budget_days`` and
``budget_challenges``), measured at a chosen instant in each user's own timezone."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from contracts.auth import USER_DELETED, USER_PROFILE_UPDATED, USER_REGISTERED
from contracts.challenges import CHALLENGE_COMPLETED
from services.budget.challenges import queries, views
from services.budget.challenges.catalogue import catalogue
from services.budget.challenges.projections import ChallengesProjection
from services.budget.challenges.rules import cap_of, window
from services.budget.challenges.settle import settle
from shared.envelope import EventEnvelope
from shared.projections import apply_batch
from tests.integration.budget_world import World
from tests.integration.test_budget_days_projection import envelopes

ANSWERS: dict[str, Any] = {
    "income": {"monthly_income": "3000.00"},
    "fixed_expenses": {"rent": "900.00"},
}


def at(zone: str, year: int, month: int, day: int, hour: int, minute: int) -> dt.datetime:
    """A wall-clock time in ``zone``."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone))


class Scene:
    """A world whose events also feed the challenges projection."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.projection = ChallengesProjection(world.projection.schema)

    async def setup(self) -> None:
        """Create the challenges' tables."""
        await self.projection.setup(self.world.conn)
        await self.world.conn.commit()

    def user(self, zone: str, today: dt.date) -> uuid.UUID:
        """A user onboarded in ``zone`` on ``today`` (so the day plans exist)."""
        user = uuid.uuid4()
        self.world.budget.submit_onboarding(user, ANSWERS, zone, today)
        return user

    def spend(self, user: uuid.UUID, amount: str, when: dt.datetime, category: str) -> None:
        """Record a transaction."""
        self.world.ledger.record(
            user_id=user, amount=Decimal(amount), category=category, spent_at=when
        )

    async def join(self, user: uuid.UUID, challenge_id: str, when: dt.datetime) -> int:
        """Join at the instant ``when`` (its zone is the user's), as the API decides it."""
        await self.feed()
        challenge = catalogue()[challenge_id]
        today = when.date()
        cap = None
        if challenge.rule.kind == "cap":
            first = today - dt.timedelta(days=challenge.duration_days)
            before = await queries.spent_before(
                self.world.conn, self.projection.schema, user, first, when
            )
            cap = cap_of(challenge, before)
        return self.world.budget.join_challenge(
            user, challenge_id, today=today, now=when, window=window(challenge, today),
            cap=cap, settled=False,
        )  # fmt: skip

    async def feed(self) -> None:
        """Project everything stored so far into both read models."""
        events = await self.world.fresh()
        await apply_batch(self.world.conn, self.world.projection, events)
        await apply_batch(self.world.conn, self.projection, events)

    async def measured(self, user: uuid.UUID | None, now: dt.datetime) -> list[views.Measured]:
        """The user's (None: everyone's) attempts measured at ``now``."""
        await self.feed()
        rows = await queries.attempts(self.world.conn, self.projection.schema, user)
        facts = await queries.facts(self.world.conn, self.projection.schema, user)
        return views.measure(rows, facts, now)

    async def outcome(self, user: uuid.UUID, challenge_id: str, now: dt.datetime) -> Any:
        """The user's latest attempt at ``challenge_id``, measured at ``now``."""
        return views.latest(await self.measured(user, now))[challenge_id].outcome


async def scene(world: World) -> Scene:
    """A scene over the test's world."""
    made = Scene(world)
    await made.setup()
    return made


async def test_one_coffee_instant_fails_new_york_and_not_sofia(world: World) -> None:
    """The same instant is after Sofia's 14-day window and inside New York's: one user
    completes the no-coffee fortnight, the other fails on their own local day; a coffee before
    joining on the join day counts for neither."""
    s = await scene(world)
    sofia = s.user("Europe/Sofia", dt.date(2026, 3, 1))
    york = s.user("America/New_York", dt.date(2026, 3, 1))
    s.spend(sofia, "3.50", at("Europe/Sofia", 2026, 3, 1, 8, 0), "coffee")
    s.spend(york, "3.50", at("America/New_York", 2026, 3, 1, 8, 0), "coffee")
    await s.join(sofia, "no_coffee_14", at("Europe/Sofia", 2026, 3, 1, 9, 0))
    await s.join(york, "no_coffee_14", at("America/New_York", 2026, 3, 1, 9, 0))
    instant = at("Europe/Sofia", 2026, 3, 15, 0, 30)  # Sofia's 15th = New York's 14th, 18:30
    for user in (sofia, york):
        s.spend(user, "4.20", instant, "coffee")
    mid = dt.datetime(2026, 3, 8, 12, 0, tzinfo=dt.UTC)
    assert (await s.outcome(sofia, "no_coffee_14", mid)).current_progress == 7  # 1st-7th over
    later = dt.datetime(2026, 3, 16, 12, 0, tzinfo=dt.UTC)
    done = await s.outcome(sofia, "no_coffee_14", later)
    assert (done.status, done.current_progress, done.target_value) == ("completed", 14, 14)
    assert done.completed_on == dt.date(2026, 3, 14)
    failed = await s.outcome(york, "no_coffee_14", later)
    assert failed.status == "failed"
    assert failed.current_progress == 13  # the 1st to the 13th were clean


async def test_a_streak_completes_after_a_bad_day_or_fails_when_out_of_reach(
    world: World,
) -> None:
    """7 days within the plan out of 10: a bad 3rd day leaves days 4-10 (7) and the streak
    completes on the 10th; a bad 4th day leaves 6 and the attempt fails once that is certain."""
    s = await scene(world)
    zone = "Asia/Tokyo"
    early = s.user(zone, dt.date(2026, 4, 1))
    late = s.user(zone, dt.date(2026, 4, 1))
    await s.join(early, "savings_streak_7", at(zone, 2026, 4, 1, 7, 0))
    await s.join(late, "savings_streak_7", at(zone, 2026, 4, 1, 7, 0))
    s.spend(early, "900.00", at(zone, 2026, 4, 3, 12, 0), "shopping")
    s.spend(late, "900.00", at(zone, 2026, 4, 4, 12, 0), "shopping")
    on_fifth = at(zone, 2026, 4, 5, 12, 0)
    still = await s.outcome(early, "savings_streak_7", on_fifth)
    assert (still.status, still.current_streak, still.best_streak) == ("active", 1, 2)
    assert (await s.outcome(late, "savings_streak_7", on_fifth)).status == "failed"
    after = at(zone, 2026, 4, 11, 9, 0)
    done = await s.outcome(early, "savings_streak_7", after)
    assert (done.status, done.current_progress, done.completed_on) == (
        "completed", 7, dt.date(2026, 4, 10),
    )  # fmt: skip


async def test_a_cap_is_fixed_at_joining_from_the_days_before(world: World) -> None:
    """Dining reduction: the cap is 75% of the 30 days before joining; crossing it fails the
    attempt on that local day, staying under completes it after the window."""
    s = await scene(world)
    zone = "Europe/Sofia"
    thrifty = s.user(zone, dt.date(2026, 5, 1))
    lavish = s.user(zone, dt.date(2026, 5, 1))
    for user in (thrifty, lavish):
        s.spend(user, "100.00", at(zone, 2026, 5, 10, 20, 0), "dining")
    joined = at(zone, 2026, 6, 1, 10, 0)
    await s.join(thrifty, "dining_reduction_30", joined)
    await s.join(lavish, "dining_reduction_30", joined)
    rows = await queries.attempts(world.conn, s.projection.schema, thrifty)
    assert rows[0]["cap"] == Decimal("75.00")
    s.spend(thrifty, "74.99", at(zone, 2026, 6, 20, 20, 0), "dining")
    s.spend(lavish, "50.00", at(zone, 2026, 6, 3, 20, 0), "dining")
    s.spend(lavish, "25.01", at(zone, 2026, 6, 9, 20, 0), "dining")
    after = at(zone, 2026, 7, 1, 9, 0)
    assert (await s.outcome(thrifty, "dining_reduction_30", after)).status == "completed"
    failed = await s.outcome(lavish, "dining_reduction_30", after)
    assert (failed.status, failed.current_progress) == ("failed", 8)  # June 1st-8th held


async def test_the_weekend_is_the_next_one_and_fixed_bills_do_not_break_it(
    world: World,
) -> None:
    """Joined on a Wednesday, the window is that Saturday and Sunday; rent paid on Saturday
    does not break a no-spend weekend, a coffee does. Leaving ends an attempt as left."""
    s = await scene(world)
    zone = "America/Los_Angeles"
    calm = s.user(zone, dt.date(2026, 3, 1))
    sipper = s.user(zone, dt.date(2026, 3, 1))
    quitter = s.user(zone, dt.date(2026, 3, 1))
    wednesday = at(zone, 2026, 3, 4, 12, 0)
    for user in (calm, sipper, quitter):
        await s.join(user, "no_spend_weekend", wednesday)
    s.spend(calm, "900.00", at(zone, 2026, 3, 7, 9, 0), "rent")
    s.spend(calm, "20.00", at(zone, 2026, 3, 6, 23, 0), "shopping")  # Friday: outside
    s.spend(sipper, "3.00", at(zone, 2026, 3, 8, 23, 30), "coffee")  # Sunday night
    world.budget.leave_challenge(quitter, "no_spend_weekend", today=dt.date(2026, 3, 5),
                                 now=at(zone, 2026, 3, 5, 8, 0))  # fmt: skip
    monday = at(zone, 2026, 3, 9, 8, 0)
    done = await s.outcome(calm, "no_spend_weekend", monday)
    assert (done.status, done.current_progress, done.target_value) == ("completed", 2, 2)
    assert (await s.outcome(sipper, "no_spend_weekend", monday)).status == "failed"
    assert (await s.outcome(quitter, "no_spend_weekend", monday)).status == "left"
    everyone = await s.measured(None, monday)
    board = views.leaderboard(everyone, sipper, "weekly", dt.date(2026, 3, 9))
    assert board["total_participants"] == 3
    assert [r["points"] for r in board["top_users"]] == [150, 0, 0]
    assert board["top_users"][0]["is_current_user"] is False
    assert board["user_rank"] in (2, 3)
    stats = views.stats(await s.measured(calm, monday))
    assert (stats["total_points"], stats["completed_challenges"], stats["success_rate"]) == (
        150, 1, Decimal(1),
    )  # fmt: skip
    assert stats["badges_earned"] == [
        {"name": "No-Spend Weekend", "rarity": "common", "icon": "weekend"}
    ]


async def test_joining_again_while_running_changes_nothing_and_after_a_failure_restarts(
    world: World,
) -> None:
    """A second join of a running attempt stores nothing; after a failure a join starts attempt
    2 from that day."""
    s = await scene(world)
    zone = "Europe/Sofia"
    user = s.user(zone, dt.date(2026, 3, 1))
    assert await s.join(user, "impulse_free_7", at(zone, 2026, 3, 1, 9, 0)) > 0
    assert await s.join(user, "impulse_free_7", at(zone, 2026, 3, 2, 9, 0)) == 0
    s.spend(user, "30.00", at(zone, 2026, 3, 3, 18, 0), "clothing")
    await s.feed()
    today = dt.date(2026, 3, 4)
    restart = world.budget.join_challenge(
        user, "impulse_free_7", today=today, now=at(zone, 2026, 3, 4, 9, 0),
        window=window(catalogue()["impulse_free_7"], today), cap=None, settled=True,
    )  # fmt: skip
    assert restart > 0
    rows = await s.measured(user, at(zone, 2026, 3, 6, 9, 0))
    assert [(m.row["attempt"], m.outcome.status) for m in rows] == [(1, "failed"), (2, "active")]
    assert views.latest(rows)["impulse_free_7"].outcome.current_progress == 2


def auth_event(kind: str, user: uuid.UUID, version: int, payload: dict[str, Any]) -> EventEnvelope:
    """An ``auth.User*`` event as the bus carries it."""
    return EventEnvelope(
        event_id=uuid.uuid4(), type=kind, schema_version=1, service="auth", aggregate_id=user,
        aggregate_version=version, user_id=user, occurred_at=dt.datetime.now(dt.UTC),
        position=version, payload=payload,
    )  # fmt: skip


async def test_names_follow_the_profile_and_a_deleted_account_leaves_the_board(
    world: World,
) -> None:
    """The leaderboard's name is the profile's latest; a deleted account's attempts go."""
    s = await scene(world)
    zone = "Europe/Sofia"
    user = s.user(zone, dt.date(2026, 3, 1))
    await s.join(user, "impulse_free_7", at(zone, 2026, 3, 1, 9, 0))
    await s.feed()
    events = [
        auth_event(USER_REGISTERED, user, 1, {"profile": {"name": "Ana"}}),
        auth_event(USER_PROFILE_UPDATED, user, 2, {"changes": {"name": "Ana S."}}),
    ]
    await apply_batch(world.conn, s.projection, events)
    rows = await s.measured(None, at(zone, 2026, 3, 3, 9, 0))
    assert [m.name for m in rows] == ["Ana S."]
    await apply_batch(world.conn, s.projection, [auth_event(USER_DELETED, user, 3, {})])
    assert await s.measured(None, at(zone, 2026, 3, 3, 9, 0)) == []


async def test_two_joins_at_once_store_one_attempt(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The join that loses the race (its entry was stored meanwhile) re-decides on the stored
    one: nothing more is stored."""
    s = await scene(world)
    zone = "Europe/Sofia"
    user = s.user(zone, dt.date(2026, 3, 1))
    assert await s.join(user, "impulse_free_7", at(zone, 2026, 3, 1, 9, 0)) > 0
    real = world.budget._entry
    calls: list[int] = []

    def stale(user_id: uuid.UUID, challenge_id: str) -> Any:
        calls.append(1)
        return None if len(calls) == 1 else real(user_id, challenge_id)

    monkeypatch.setattr(world.budget, "_entry", stale)
    assert await s.join(user, "impulse_free_7", at(zone, 2026, 3, 1, 9, 5)) == 0
    assert len(calls) == 2
    rows = await s.measured(user, at(zone, 2026, 3, 2, 9, 0))
    assert [m.row["attempt"] for m in rows] == [1]


async def test_settling_puts_each_completion_on_record_once(world: World) -> None:
    """The settling command records a completed attempt once (a second run records nothing);
    running and failed attempts get nothing."""
    s = await scene(world)
    zone = "Europe/Sofia"
    done, failing = s.user(zone, dt.date(2026, 3, 1)), s.user(zone, dt.date(2026, 3, 1))
    for user in (done, failing):
        await s.join(user, "impulse_free_7", at(zone, 2026, 3, 1, 9, 0))
    s.spend(failing, "30.00", at(zone, 2026, 3, 3, 18, 0), "clothing")
    await s.feed()
    later = at(zone, 2026, 3, 9, 9, 0)
    assert await settle(world.settings, later) == 1
    await s.feed()
    assert await settle(world.settings, later) == 0
    rows = await queries.attempts(world.conn, s.projection.schema, done)
    assert rows[0]["completed_on"] == dt.date(2026, 3, 7)
    events = await envelopes(world.conn, world.settings, "budget")
    [completed] = [e for e in events if e.type == CHALLENGE_COMPLETED]
    assert completed.payload["name"] == "Impulse-Free Week"
    assert completed.payload["points"] == 150
