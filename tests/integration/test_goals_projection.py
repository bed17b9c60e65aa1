"""The goals read model against the write model (property test): after any sequence of goal
commands, each row is the goal's state to the cent, deleted goals are gone from the lists, and
a rebuild from zero gives the same rows."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st
from psycopg import AsyncConnection
from psycopg.rows import DictRow

from services.ledger.application import LedgerApplication
from services.ledger.goals.api import row_of
from services.ledger.goals.domain import GoalClosed
from services.ledger.goals.policy import GoalLinking
from services.ledger.goals.projections import GoalsProjection
from services.ledger.goals.queries import list_goals
from shared.projections import apply_batch, setup_tracking
from shared.settings import MitaSettings
from shared.store import to_envelope
from tests.helpers import ledger_app

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("600.00"), places=2)
op = st.one_of(
    st.tuples(st.just("create"), amounts, amounts),
    st.tuples(st.just("update"), st.integers(0, 5), amounts, st.sampled_from(["Home", None])),
    st.tuples(st.just("save"), st.integers(0, 5), amounts),
    st.tuples(st.just("link"), st.integers(0, 5), st.integers(0, 2), amounts | st.just(Decimal(0))),
    st.tuples(st.just("status"), st.integers(0, 5),
              st.sampled_from(["pause", "resume", "complete", "cancel"])),
    st.tuples(st.just("delete"), st.integers(0, 5)),
)  # fmt: skip
LINKS = [uuid.UUID(int=n + 1) for n in range(3)]


def run(app: LedgerApplication, user: uuid.UUID, ops: list[tuple[Any, ...]]) -> list[uuid.UUID]:
    """Apply the commands (refused ones change nothing); the ids created."""
    ids: list[uuid.UUID] = []
    gone: set[uuid.UUID] = set()
    for kind, *args in ops:
        if kind == "create":
            target, saved = args
            made = app.create_goal(
                user_id=user, title="Goal", target_amount=target * 2, saved_amount=saved,
                monthly_contribution=Decimal("10"),
            )  # fmt: skip
            ids.append(made.goal.id)
            continue
        live = [i for i in ids if i not in gone]
        if not live:
            continue
        goal = live[args[0] % len(live)]
        try:
            if kind == "update":
                app.update_goal(goal, user_id=user, target_amount=args[1], category=args[2])
            elif kind == "save":
                app.add_goal_savings(goal, user_id=user, amount=args[1])
            elif kind == "link":
                app.link_goal_savings(goal, user_id=user, transaction_id=LINKS[args[1]],
                                      amount=args[2])  # fmt: skip
            elif kind == "status":
                app.change_goal_status(goal, user_id=user, to=args[1])
            else:
                app.delete_goal(goal, user_id=user)
                gone.add(goal)
        except GoalClosed:
            pass
    return ids


async def project(conn: AsyncConnection[DictRow], app: LedgerApplication, schema: str) -> None:
    """Feed every stored ledger event to the goals projection (in batches of 5)."""
    projection = GoalsProjection(schema)
    await setup_tracking(conn, schema)
    await projection.setup(conn)
    await conn.commit()
    events = [to_envelope("ledger", n.id, n) for n in app.recorder.select_notifications(1, 10_000)]
    for i in range(0, len(events), 5):
        await apply_batch(conn, projection, events[i : i + 5])


def expected(app: LedgerApplication, ids: list[uuid.UUID]) -> list[dict[str, Any]]:
    """The live goals' states as rows, newest first."""
    goals = [app.goal(i) for i in ids]
    rows = [row_of(g) for g in goals if not g.deleted]
    return sorted(rows, key=lambda r: (r["created_at"], str(r["id"])), reverse=True)


@examples(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(ops=st.lists(op, min_size=1, max_size=25))
async def test_rows_are_the_goals_state(
    settings: MitaSettings, conn: AsyncConnection[DictRow], ops: list[tuple[Any, ...]]
) -> None:
    schema = f"{settings.schema_prefix}gl_{uuid.uuid4().hex[:8]}"
    app = ledger_app(settings.model_copy(update={"schema_prefix": f"{schema}_"}))
    user = uuid.uuid4()
    try:
        ids = run(app, user, ops)
        await project(conn, app, schema)

        async def rows() -> list[dict[str, Any]]:
            found = await list_goals(conn, schema, user)
            return sorted(found, key=lambda r: (r["created_at"], str(r["id"])), reverse=True)

        want = expected(app, ids)
        assert await rows() == want
        for goal_row in want:  # money exact, the goal reached is completed
            assert goal_row["saved_amount"] >= 0
            if goal_row["status"] in ("active", "paused"):
                assert goal_row["saved_amount"] < goal_row["target_amount"]
        assert await list_goals(conn, schema, uuid.uuid4()) == []
        await GoalsProjection(schema).drop(conn)
        await conn.execute(f'DELETE FROM "{schema}".projection_applied')
        await conn.commit()
        await project(conn, app, schema)
        assert await rows() == want
    finally:
        app.close()
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}_ledger" CASCADE')
        await conn.commit()


def test_linking_decides_each_transaction_event_once_in_effect(settings: MitaSettings) -> None:
    """The policy decided again on the same event (a crash before its tracking row), or late,
    changes nothing; each version moves the amount between the goals it left and joined."""
    schema = f"{settings.schema_prefix}gk_{uuid.uuid4().hex[:8]}"
    app = ledger_app(settings.model_copy(update={"schema_prefix": f"{schema}_"}))
    policy = GoalLinking(schema, settings.database_url, app)
    user = uuid.uuid4()
    try:
        one = app.create_goal(user_id=user, title="A", target_amount=Decimal("500")).goal.id
        two = app.create_goal(user_id=user, title="B", target_amount=Decimal("500")).goal.id
        tx = app.record(user_id=user, amount=Decimal("42.10"), category="other", goal_id=one)
        tx_id = tx.transaction.id
        for _ in range(2):
            policy._decide(tx_id, 1)
        assert app.goal(one).saved_amount == Decimal("42.10")
        app.amend(tx_id, user_id=user, goal_id=two)
        for _ in range(2):
            policy._decide(tx_id, 2)
        assert (app.goal(one).saved_amount, app.goal(two).saved_amount) == (
            Decimal("0.00"), Decimal("42.10"),
        )  # fmt: skip
        policy._decide(tx_id, 1)  # an old event decided late: the transaction as it is now
        assert (app.goal(one).saved_amount, app.goal(two).saved_amount) == (
            Decimal("0.00"), Decimal("42.10"),
        )  # fmt: skip
        app.delete(tx_id, user_id=user)
        policy._decide(tx_id, 3)
        assert app.goal(two).saved_amount == Decimal("0.00")
    finally:
        app.close()
