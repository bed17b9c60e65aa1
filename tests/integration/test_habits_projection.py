"""The habits read model against the write model (property test): after any sequence of
habit commands, the rows and done days are the habits' state, deleted ones are gone, and a
rebuild from zero gives the same rows."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st
from psycopg import AsyncConnection
from psycopg.rows import DictRow

from services.budget.application import BudgetApplication
from services.budget.habits.api import row_of
from services.budget.habits.domain import InvalidHabitDay
from services.budget.habits.projections import HabitsProjection
from services.budget.habits.queries import habits_of
from shared.projections import apply_batch, setup_tracking
from shared.relay import read_stored
from shared.settings import MitaSettings
from shared.sources import SourceTable
from shared.store import to_envelope

TODAY = dt.date(2026, 3, 11)
NOW = dt.datetime(2026, 3, 11, 9, tzinfo=dt.UTC)
op = st.one_of(
    st.tuples(st.just("create"), st.sampled_from(["daily", "weekly", "monthly"])),
    st.tuples(st.just("done"), st.integers(0, 4), st.integers(-1, 40), st.booleans()),
    st.tuples(st.just("edit"), st.integers(0, 4), st.sampled_from(["A", "B"])),
    st.tuples(st.just("delete"), st.integers(0, 4)),
)


def run(app: BudgetApplication, user: uuid.UUID, ops: list[tuple[Any, ...]]) -> list[uuid.UUID]:
    """Apply the commands (refused ones change nothing); the live ids."""
    ids: list[uuid.UUID] = []
    gone: set[uuid.UUID] = set()
    for kind, *args in ops:
        if kind == "create":
            made = app.create_habit(user_id=user, today=TODAY, now=NOW, title="H",
                                    description="", target_frequency=args[0])  # fmt: skip
            ids.append(made.habit.id)
            continue
        live = [i for i in ids if i not in gone]
        if not live:
            continue
        habit = live[args[0] % len(live)]
        if kind == "done":
            day = TODAY - dt.timedelta(days=args[1])
            try:
                app.mark_habit_day(habit, user_id=user, day=day, done=args[2], today=TODAY,
                                   now=NOW)  # fmt: skip
            except InvalidHabitDay:
                assert day > TODAY
        elif kind == "edit":
            app.update_habit(habit, user_id=user, now=NOW, title=args[1])
        else:
            app.delete_habit(habit, user_id=user, now=NOW)
            gone.add(habit)
    return [i for i in ids if i not in gone]


async def project(conn: AsyncConnection[DictRow], schema: str) -> None:
    """Feed every stored budget event to the projection (in batches of 3)."""
    projection = HabitsProjection(schema)
    await setup_tracking(conn, schema)
    await projection.setup(conn)
    await conn.commit()
    rows = await read_stored(conn, SourceTable("budget", schema), 0, 10_000)
    events = [to_envelope("budget", pos, stored) for pos, stored in rows]
    for i in range(0, len(events), 3):
        await apply_batch(conn, projection, events[i : i + 3])


@examples(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(ops=st.lists(op, min_size=1, max_size=25))
async def test_rows_are_the_habits_state(
    settings: MitaSettings, conn: AsyncConnection[DictRow], ops: list[tuple[Any, ...]]
) -> None:
    schema = f"{settings.schema_prefix}hb_{uuid.uuid4().hex[:8]}"
    app = BudgetApplication.for_database(settings.database_url, schema)
    assert isinstance(app, BudgetApplication)
    user = uuid.uuid4()
    try:
        live = run(app, user, ops)
        await project(conn, schema)
        want = sorted((row_of(app.owned_habit(i, user)) for i in live),
                      key=lambda r: (r["created_at"], r["id"]))  # fmt: skip
        found = await habits_of(conn, schema, user)
        assert found == want
        assert await habits_of(conn, schema, uuid.uuid4()) == []
        await HabitsProjection(schema).drop(conn)
        await conn.execute(f'DELETE FROM "{schema}".projection_applied')
        await conn.commit()
        await project(conn, schema)
        assert await habits_of(conn, schema, user) == want
    finally:
        app.close()
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.commit()
