"""``BudgetDaysProjection.apply_many`` on hand-made envelopes: the edge cases no write model
would store and a random stream, in sessions of different time zones, equal one by one."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow, dict_row

from services.budget.read.placement import (
    AMENDED,
    DELETED,
    PLANNED,
    REBALANCED,
    RECORDED,
    REDISTRIBUTED,
    SUBMITTED,
)
from services.ledger.domain import AMENDABLE
from shared.envelope import EventEnvelope, event_id_for
from shared.settings import MitaSettings
from tests.integration.budget_variants import (
    CATEGORIES,
    fresh,
    moment,
    one_batch,
    one_by_one,
    random_batches,
)


class Synthetic:
    """Envelopes built by hand: what no write model would store but a projection must bear."""

    def __init__(self) -> None:
        self.events: list[EventEnvelope] = []
        self.positions = {"budget": 0, "ledger": 0}
        self.versions: dict[uuid.UUID, int] = {}
        self.clock = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)
        self.profiles: dict[uuid.UUID, uuid.UUID] = {}

    def add(
        self,
        kind: str,
        aggregate: uuid.UUID,
        payload: dict[str, Any],
        at: dt.datetime | None = None,
    ) -> EventEnvelope:
        """Append one event (one second after the previous unless ``at`` says when)."""
        service = kind.split(".")[0]
        self.positions[service] += 1
        version = self.versions[aggregate] = self.versions.get(aggregate, 0) + 1
        self.clock += dt.timedelta(seconds=1)
        event = EventEnvelope(
            event_id=event_id_for(aggregate, version), type=kind, schema_version=1,
            service=service, aggregate_id=aggregate, aggregate_version=version,
            occurred_at=at or self.clock, position=self.positions[service], payload=payload,
        )  # fmt: skip
        self.events.append(event)
        return event

    def record(
        self,
        tx: uuid.UUID,
        user: uuid.UUID,
        amount: str,
        category: str,
        spent: str,
        at: dt.datetime | None = None,
    ) -> None:
        """A ``TransactionRecorded``."""
        payload = {"user_id": str(user), "amount": amount, "category": category, "spent_at": spent}
        self.add(RECORDED, tx, payload, at)

    def amend(self, tx: uuid.UUID, user: uuid.UUID, **changes: Any) -> None:
        """A ``TransactionAmended`` of a subset of fields (the others None)."""
        self.add(AMENDED, tx, {"user_id": str(user)} | {k: None for k in AMENDABLE} | changes)

    def delete(self, tx: uuid.UUID, user: uuid.UUID) -> None:
        """A ``TransactionDeleted``."""
        self.add(DELETED, tx, {"user_id": str(user)})

    def submit(self, user: uuid.UUID, zone: str | None, at: dt.datetime | None = None) -> None:
        """An ``OnboardingSubmitted`` (``at``: when it took effect, if not now)."""
        profile = self.profiles.setdefault(user, uuid.uuid4())
        self.add(SUBMITTED, profile, {"user_id": str(user), "timezone": zone}, at)


def edge_cases(s: Synthetic, one: uuid.UUID, two: uuid.UUID) -> uuid.UUID:
    """Each edge of the one-by-one path, once; the transaction deleted and recorded again."""
    a, b, c, d, e, unknown = (uuid.uuid4() for _ in range(6))
    s.record(a, one, "10.005", "coffee", "2024-03-04T23:30:00+00:00")  # rounds like numeric
    s.record(b, one, "5.00", "dining", "2024-03-10T20:30:00")  # naive: UTC now, session later
    s.submit(one, "Asia/Tokyo")
    s.amend(b, one, amount="6.125")  # keeps the stored spent_at, re-placed in Tokyo
    s.amend(b, one, category="")  # empty: keeps the category
    s.record(a, one, "3.00", " Taxi ", "2024-03-31T22:30:00Z")  # recorded again: old out
    s.delete(a, one)
    s.delete(a, one)  # twice: ignored
    s.amend(a, one, amount="1.00")  # after delete: ignored
    s.record(a, one, "2.00", "mystery", "2024-04-01T00:10:00+03:00")  # stays deleted, counts
    s.amend(a, one, amount="4.00")  # still deleted: ignored
    s.amend(unknown, one, amount="9.00")
    s.delete(unknown, one)
    planned = {"2024-03-05": {"food": "1.005"}, "20240305": {"food": "2.005"}, "2024-03-06": {}}
    s.add(PLANNED, uuid.uuid4(), {"user_id": str(one), "year": 2024, "month": 3, "days": planned})
    move = {
        "amount": "0.50", "from_date": "2024-03-05", "from_category": "food",
        "to_date": "2024-03-11", "to_category": "food",
    }  # fmt: skip
    s.add(REBALANCED, uuid.uuid4(), {"user_id": str(one), "moves": [move]})
    s.add(
        REDISTRIBUTED, uuid.uuid4(),
        {"user_id": str(one), "moves": [move], "trigger_transaction_id": str(b),
         "covered": "0.50", "fully_covered": True, "at": "2024-03-02T00:00:00+00:00"},
    )  # fmt: skip
    s.record(c, two, "7.77", "groceries", "2024-03-11T06:30:00+09:00")
    gone_by = s.clock
    s.amend(c, one, spent_at="2024-03-31T22:30:00+00:00")  # another user's: out under one
    s.submit(two, "Europe/Sofia", gone_by - dt.timedelta(seconds=5))  # late: re-places c
    s.submit(one, "Not/AZone")  # unknown: UTC
    s.record(d, one, "1.00", "gas", "2024-03-20T23:59:59-01:00")
    s.submit(one, None)  # none: UTC
    s.submit(one, "America/Los_Angeles")
    boundary = s.events[-1].occurred_at  # recorded the instant the zone takes effect
    s.record(e, one, "2.50", "food", "2024-03-20T03:00:00+00:00", boundary)  # the 19th there
    naive = dt.datetime(2024, 3, 2, 10, 0)  # naive occurred_at: the session's zone
    s.submit(two, "Pacific/Auckland", naive)
    s.record(uuid.uuid4(), two, "3.30", "coffee", "2024-03-14T11:30:00+00:00")
    s.add(AMENDED, c, {"user_id": str(two), "spent_at": "2024-03-01T11:00:00"}, naive)
    return a


def random_stream(s: Synthetic, users: list[uuid.UUID], rng: random.Random, n: int) -> None:
    """``n`` random events over a small pool of transactions (re-records and strays too)."""
    pool = [uuid.uuid4() for _ in range(25)]
    zones = ("Europe/Sofia", "Asia/Tokyo", "America/New_York", "UTC", "Bad/Zone", None)
    categories = (*CATEGORIES, "mystery", "", "Dining")
    for _ in range(n):
        user, tx, roll = rng.choice(users), rng.choice(pool), rng.random()
        amount = f"{rng.randrange(1, 50_000) / 1000:.3f}"
        spent = moment(rng)
        text = spent.replace(tzinfo=None).isoformat() if rng.random() < 0.2 else spent.isoformat()
        if roll < 0.35:
            s.record(tx, user, amount, rng.choice(categories) or "food", text)
        elif roll < 0.75:
            fields = {"amount": amount, "category": rng.choice(categories), "spent_at": text}
            picked = rng.sample(sorted(fields), rng.randint(0, 3))
            s.amend(tx, user, **{k: fields[k] for k in picked})
        elif roll < 0.9:
            s.delete(tx, user)
        else:
            back = dt.timedelta(seconds=rng.choice((0, 0, 30, 400)))  # sometimes late
            s.submit(user, rng.choice(zones), s.clock - back)


@pytest.fixture(params=["UTC", "Pacific/Kiritimati"])
async def session(
    request: pytest.FixtureRequest, settings: MitaSettings
) -> AsyncIterator[AsyncConnection[DictRow]]:
    """A connection whose session reads naive times in a given zone."""
    c = await AsyncConnection.connect(
        settings.database_url, row_factory=dict_row, options=f"-c TimeZone={request.param}"
    )
    yield c
    await c.close()


async def test_edge_cases_fold_as_one_by_one(
    settings: MitaSettings, session: AsyncConnection[DictRow]
) -> None:
    """Hand-made edges and a random stream: one batch and random batches equal one by one."""
    s = Synthetic()
    one, two = uuid.uuid4(), uuid.uuid4()
    again = edge_cases(s, one, two)
    # Users of their own: a late zone of the random stream would re-place (and so hide) an
    # edge the fold got wrong.
    random_stream(s, [uuid.uuid4() for _ in range(3)], random.Random(7), 600)
    events = s.events

    want = await one_by_one(session, await fresh(session, settings, "a"), events)
    assert await one_batch(session, await fresh(session, settings, "b"), events) == want
    for seed in (1, 2, 3, 4):
        got, _ = await random_batches(
            session, await fresh(session, settings, f"c{seed}"), events, seed
        )
        assert got == want, f"seed {seed}"
    # Transactions moved away leave no empty rows behind; the edges did happen: a deleted
    # transaction recorded again under an unknown category, still flagged.
    schema = f"{settings.schema_prefix}days_a"
    cur = await session.execute(
        sql.SQL("SELECT count(*) AS n FROM {} WHERE planned = 0 AND spent = 0").format(
            sql.Identifier(schema, "budget_days")
        )
    )
    empty = await cur.fetchone()
    assert empty is not None
    assert empty["n"] == 0
    cur = await session.execute(
        sql.SQL("SELECT category, plan_category, amount, deleted FROM {} WHERE id = %s").format(
            sql.Identifier(schema, "budget_tx")
        ),
        (again,),
    )
    tx = await cur.fetchone()
    # Each planned cell rounds on its own (1.01 + 2.01), then two moves of 0.50 leave the day.
    cur = await session.execute(
        sql.SQL("SELECT planned FROM {} WHERE user_id = %s AND day = %s AND category = %s").format(
            sql.Identifier(schema, "budget_days")
        ),
        (one, dt.date(2024, 3, 5), "food"),
    )
    assert await cur.fetchone() == {"planned": Decimal("2.02")}
    await session.commit()
    assert tx == {
        "category": "mystery", "plan_category": "other", "amount": Decimal("2.00"),
        "deleted": True,
    }  # fmt: skip
