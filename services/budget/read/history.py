"""The plan's history and the user's budget settings, kept beside the day plans.

Two tables of the ``budget_days`` read model, written in the same transaction as its rows:
``budget_plan_log`` (one row per ``BudgetPlanned``: why, under which mode, every category
amount) and ``budget_profiles`` (the latest onboarding answers, the budget mode with its learned
weights, and the automation switches as they stand). ``GET /budget/adaptations`` reads the
log with the moves; ``GET /budget/mode`` and ``GET /budget/automation_settings`` read the
profiles, and so does a read of a month not planned yet (its plan is computed from them).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

from contracts.budget import GOAL_RESERVE_CHANGED
from services.budget.read.placement import AUTOMATION_CHANGED, MODE_CHANGED, SUBMITTED
from shared import jsonutil
from shared.envelope import EventEnvelope

Table = Callable[[str], sql.Composed]
TABLES = ("budget_plan_log", "budget_profiles")
SETUP = (
    "CREATE TABLE IF NOT EXISTS {} (position bigint PRIMARY KEY, user_id uuid NOT NULL, "
    "year int NOT NULL, month int NOT NULL, at timestamptz NOT NULL, reason text NOT NULL, "
    "mode text NOT NULL, categories jsonb NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {} (user_id uuid PRIMARY KEY, mode text, automation jsonb, "
    "mode_at timestamptz, automation_at timestamptz, answers jsonb, answers_at timestamptz, "
    "wants_weights jsonb, commitments jsonb)",
    # Tables made before the goals' reserve and the installments were followed.
    "ALTER TABLE {} ADD COLUMN IF NOT EXISTS commitments jsonb",
)


async def setup(conn: AsyncConnection[DictRow], table: Table) -> None:
    """Create the two tables."""
    for name, statement in zip((*TABLES, "budget_profiles"), SETUP, strict=True):
        await conn.execute(sql.SQL(statement).format(table(name)))


async def drop(conn: AsyncConnection[DictRow], table: Table) -> None:
    """Drop the two tables."""
    for name in TABLES:
        await conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table(name)))


async def log_plan(conn: AsyncConnection[DictRow], table: Table, event: EventEnvelope) -> None:
    """One log row per plan (its position is its identity, so a redelivery changes nothing)."""
    p = event.payload
    await conn.execute(
        sql.SQL(
            "INSERT INTO {} (position, user_id, year, month, at, reason, mode, categories) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (position) DO NOTHING"
        ).format(table("budget_plan_log")),
        (
            event.position,
            uuid.UUID(str(p["user_id"])),
            int(p["year"]),
            int(p["month"]),
            event.occurred_at,
            str(p.get("reason") or "onboarding"),
            str(p.get("mode") or "default"),
            Jsonb(p.get("categories") or {}, dumps=jsonutil.dumps),
        ),
    )


async def set_profile(conn: AsyncConnection[DictRow], table: Table, event: EventEnvelope) -> None:
    """The latest mode or automation switches of a user (a later event wins, by its time)."""
    p = event.payload
    user = uuid.UUID(str(p["user_id"]))
    values: dict[str, object]
    if event.type == MODE_CHANGED:
        stamp = "mode_at"
        weights = p.get("wants_weights")
        values = {"mode": str(p["mode"]), "wants_weights": Jsonb(weights, dumps=jsonutil.dumps)}
    elif event.type == AUTOMATION_CHANGED:
        stamp, values = "automation_at", {"automation": Jsonb(dict(p["settings"]))}
    elif event.type == SUBMITTED and isinstance(p.get("answers"), dict):
        stamp, values = "answers_at", {"answers": Jsonb(p["answers"], dumps=jsonutil.dumps)}
    else:
        return
    columns = [*values, stamp]
    await conn.execute(
        sql.SQL(
            "INSERT INTO {t} AS p (user_id, {cols}) VALUES (%s, {marks}) ON CONFLICT (user_id) "
            "DO UPDATE SET {sets} WHERE p.{s} IS NULL OR p.{s} <= EXCLUDED.{s}"
        ).format(
            t=table("budget_profiles"),
            cols=sql.SQL(", ").join(map(sql.Identifier, columns)),
            marks=sql.SQL(", ").join(sql.Placeholder() * len(columns)),
            sets=sql.SQL(", ").join(
                sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in columns
            ),
            s=sql.Identifier(stamp),
        ),
        (user, *values.values(), event.occurred_at),
    )


async def follow_commitment(
    conn: AsyncConnection[DictRow], table: Table, event: EventEnvelope
) -> None:
    """A goal's reserve or an installment's schedule as the profile now follows it, keyed
    ``goal:<id>`` / ``installment:<id>`` (a newer version of the same one wins)."""
    p = event.payload
    if event.type == GOAL_RESERVE_CHANGED:
        key = f"goal:{p['goal_id']}"
        value = {"amount": str(p["amount"]), "active": bool(p["active"])}
    else:
        key, value = f"installment:{p['installment_id']}", {"terms": p.get("terms")}
    entry = Jsonb({**value, "version": int(p["version"])}, dumps=jsonutil.dumps)
    await conn.execute(
        sql.SQL(
            "INSERT INTO {t} AS p (user_id, commitments) "
            "VALUES (%s, jsonb_build_object(%s::text, %s::jsonb)) "
            "ON CONFLICT (user_id) DO UPDATE SET commitments = "
            "coalesce(p.commitments, '{{}}'::jsonb) || jsonb_build_object(%s::text, %s::jsonb) "
            "WHERE coalesce((p.commitments -> %s::text ->> 'version')::bigint, 0) < %s::bigint"
        ).format(t=table("budget_profiles")),
        (uuid.UUID(str(p["user_id"])), key, entry, key, entry, key, int(p["version"])),
    )
