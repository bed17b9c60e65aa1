"""The spending read model against the ledger: after any sequence of records, amendments and
deletions, every month and category total is the sum of the live transactions, to the cent,
in the user's local months (property test); and a rebuild from zero gives the same."""

from __future__ import annotations

import datetime as dt
import statistics
import uuid
import zoneinfo
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st
from psycopg import AsyncConnection
from psycopg.rows import DictRow

from services.insights import analytics
from services.insights.read.projections import InsightUsersProjection, SpendingProjection
from services.insights.read.queries import Reads
from services.ledger.application import LedgerApplication
from shared.envelope import EventEnvelope
from shared.projections import apply_batch, setup_tracking
from shared.settings import MitaSettings
from shared.store import to_envelope
from tests.helpers import ledger_app

ZONE = zoneinfo.ZoneInfo("America/New_York")
START = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
CATEGORIES = ("food", "dining", "groceries", "rent", "taxi")
WINDOW = dt.timedelta(hours=24 * 76)  # every hour the operations use

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999.99"), places=2)
hours = st.integers(min_value=0, max_value=24 * 75)  # Sept..mid-Nov, crossing local midnights
op = st.one_of(
    st.tuples(st.just("record"), amounts, st.sampled_from(CATEGORIES), hours),
    st.tuples(st.just("amend"), st.integers(0, 9), amounts, st.sampled_from(CATEGORIES)),
    st.tuples(st.just("move"), st.integers(0, 9), hours),
    st.tuples(st.just("delete"), st.integers(0, 9)),
)


def run(app: LedgerApplication, user: uuid.UUID, ops: list[tuple[Any, ...]]) -> list[uuid.UUID]:
    """Apply the operations to the ledger; the ids recorded."""
    ids: list[uuid.UUID] = []
    gone: set[uuid.UUID] = set()
    for kind, *args in ops:
        if kind == "record":
            amount, category, hour = args
            saved = app.record(
                user_id=user, amount=amount, category=category,
                spent_at=START + dt.timedelta(hours=hour),
            )  # fmt: skip
            ids.append(saved.transaction.id)
            continue
        live = [i for i in ids if i not in gone]
        if not live:
            continue
        target = live[args[0] % len(live)]
        if kind == "amend":
            app.amend(target, user_id=user, amount=args[1], category=args[2])
        elif kind == "move":
            app.amend(target, user_id=user, spent_at=START + dt.timedelta(hours=args[1]))
        else:
            app.delete(target, user_id=user)
            gone.add(target)
    return ids


def expected(app: LedgerApplication, ids: list[uuid.UUID]) -> dict[tuple[int, int, str], Decimal]:
    """The fold of the ledger's aggregates: (local year, month, category) → total."""
    out: dict[tuple[int, int, str], Decimal] = {}
    for tx_id in ids:
        tx = app.transaction(tx_id)
        if tx.deleted:
            continue
        local = tx.spent_at.astimezone(ZONE)
        key = (local.year, local.month, tx.category)
        out[key] = out.get(key, Decimal("0.00")) + tx.amount
    return out


def expected_spread(
    app: LedgerApplication, ids: list[uuid.UUID]
) -> dict[str, tuple[Decimal, Decimal, int]]:
    """Per category of the live transactions: statistics.median, the MAD, the count."""
    amounts: dict[str, list[Decimal]] = {}
    for tx_id in ids:
        tx = app.transaction(tx_id)
        if not tx.deleted:
            amounts.setdefault(tx.category, []).append(tx.amount)
    out = {}
    for category, values in amounts.items():
        median = statistics.median(values)
        out[category] = (median, statistics.median([abs(v - median) for v in values]), len(values))
    return out


async def project(conn: AsyncConnection[DictRow], app: LedgerApplication, schema: str) -> None:
    """Feed every stored ledger event to the spending projection (in batches of 7)."""
    projection = SpendingProjection(schema)
    await setup_tracking(conn, schema)
    await projection.setup(conn)
    await conn.commit()
    events = [to_envelope("ledger", n.id, n) for n in app.recorder.select_notifications(1, 10_000)]
    for i in range(0, len(events), 7):
        await apply_batch(conn, projection, events[i : i + 7])


async def totals(
    conn: AsyncConnection[DictRow], schema: str, user: uuid.UUID
) -> dict[tuple[int, int, str], Decimal]:
    """What the analytics answer for Sept..Nov 2026."""
    reads = Reads(conn, schema)
    person = await reads.person(user, "America/New_York")
    out: dict[tuple[int, int, str], Decimal] = {}
    for month in (8, 9, 10, 11):
        figures = await analytics.breakdown(reads, user, person, 2026, month)
        for row in figures["categories"]:
            out[(2026, month, row["category"])] = row["amount"]
        assert figures["total"] == sum((r["amount"] for r in figures["categories"]), Decimal(0))
    return out


@examples(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(ops=st.lists(op, min_size=1, max_size=25))
async def test_totals_are_the_sum_of_live_transactions(
    settings: MitaSettings, conn: AsyncConnection[DictRow], ops: list[tuple[Any, ...]]
) -> None:
    schema = f"{settings.schema_prefix}ins_{uuid.uuid4().hex[:8]}"
    app = ledger_app(settings.model_copy(update={"schema_prefix": f"{schema}_"}))
    user = uuid.uuid4()
    try:
        ids = run(app, user, ops)
        await project(conn, app, schema)
        assert await totals(conn, schema, user) == expected(app, ids)
        # Every event moved the user's mark: it is the position of the last one.
        last = app.recorder.max_notification_id() or 0
        assert await Reads(conn, schema).spending_mark(user) == last
        # The anomaly engine's median and MAD, computed in SQL, are exact (Decimal) too.
        spread = await Reads(conn, schema).category_spread(user, START, START + WINDOW)
        assert spread == expected_spread(app, ids)
        # Rebuilt from zero, the same.
        await SpendingProjection(schema).drop(conn)
        await conn.execute(f'DELETE FROM "{schema}".projection_applied')
        await conn.commit()
        await project(conn, app, schema)
        assert await totals(conn, schema, user) == expected(app, ids)
        assert await Reads(conn, schema).spending_mark(user) == last
        assert await Reads(conn, schema).spending_mark(uuid.uuid4()) == 0
    finally:
        app.close()
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}_ledger" CASCADE')
        await conn.commit()


async def test_users_projection_keeps_zone_and_income(
    settings: MitaSettings, conn: AsyncConnection[DictRow]
) -> None:
    """The analytics read the zone and income auth last published (older versions lose)."""
    schema = settings.schema_for("insights")
    projection = InsightUsersProjection(schema)
    await setup_tracking(conn, schema)
    await projection.setup(conn)
    await conn.commit()
    user = uuid.uuid4()

    def event(position: int, version: int, kind: str, payload: dict[str, Any]) -> EventEnvelope:
        return EventEnvelope(
            event_id=uuid.uuid4(), type=kind, schema_version=1, service="auth",
            aggregate_id=user, aggregate_version=version, occurred_at=START, position=position,
            payload=payload,
        )  # fmt: skip

    registered = {"profile": {"timezone": "Europe/Sofia", "income": "100"}}
    history = [
        event(1, 1, "auth.UserRegistered", registered),
        event(3, 3, "auth.UserProfileUpdated", {"changes": {"income": "2500.00"}}),
        event(2, 2, "auth.UserProfileUpdated", {"changes": {"income": "999.00"}}),
    ]
    await apply_batch(conn, projection, history)
    person = await Reads(conn, schema).person(user)
    assert (person.zone_name, person.income) == ("Europe/Sofia", Decimal("2500.00"))
    await apply_batch(conn, projection, [event(4, 4, "auth.UserDeleted", {})])
    assert (await Reads(conn, schema).person(user)).zone_name == "UTC"
