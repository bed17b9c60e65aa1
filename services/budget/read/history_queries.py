"""Reads of the plan history, the budget settings and the spending window (read models only)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from services.budget.domain import AUTOMATION_DEFAULTS
from services.budget.engine import categories as cat
from services.budget.engine.modes import DEFAULT
from services.budget.engine.money import ZERO
from services.budget.read.queries import fetch, table


async def budget_settings(
    conn: AsyncConnection[DictRow], schema: str, user: uuid.UUID
) -> tuple[str, dict[str, bool]]:
    """The user's budget mode and automation switches (defaults where never set)."""
    rows = await fetch(
        conn,
        sql.SQL("SELECT mode, automation FROM {} WHERE user_id = %s").format(
            table(schema, "budget_profiles")
        ),
        (user,),
    )
    row = rows[0] if rows else {}
    automation = {**AUTOMATION_DEFAULTS, **(row.get("automation") or {})}
    return str(row.get("mode") or DEFAULT), {k: bool(v) for k, v in automation.items()}


async def plan_log(
    conn: AsyncConnection[DictRow], schema: str, user: uuid.UUID, year: int, month: int
) -> list[dict[str, Any]]:
    """Every plan of a month, oldest first (position, at, reason, mode, categories)."""
    return await fetch(
        conn,
        sql.SQL(
            "SELECT position, at, reason, mode, categories FROM {} "
            "WHERE user_id = %s AND year = %s AND month = %s ORDER BY position"
        ).format(table(schema, "budget_plan_log")),
        (user, year, month),
    )


async def latest_plan(
    conn: AsyncConnection[DictRow], schema: str, user: uuid.UUID
) -> dict[str, Decimal] | None:
    """The category amounts of the user's most recent plan, if any."""
    rows = await fetch(
        conn,
        sql.SQL(
            "SELECT categories FROM {} WHERE user_id = %s ORDER BY year DESC, month DESC, "
            "position DESC LIMIT 1"
        ).format(table(schema, "budget_plan_log")),
        (user,),
    )
    if not rows:
        return None
    return {c: Decimal(str(a)) for c, a in rows[0]["categories"].items()}


async def month_moves(
    conn: AsyncConnection[DictRow], schema: str, user: uuid.UUID, start: dt.date, end: dt.date
) -> list[dict[str, Any]]:
    """Moves of planned money into days of [start, end], in the order they were decided."""
    return await fetch(
        conn,
        sql.SQL(
            "SELECT position, at, reason, from_category, to_category, from_date, to_date, amount "
            "FROM {} WHERE user_id = %s AND to_date BETWEEN %s AND %s ORDER BY position, seq"
        ).format(table(schema, "budget_moves")),
        (user, start, end),
    )


async def spending_window(
    conn: AsyncConnection[DictRow], schema: str, user: uuid.UUID, start: dt.date, end: dt.date
) -> tuple[dict[str, Decimal], dict[str, int]]:
    """Live spending per plan category over user-local days [start, end], with counts."""
    rows = await fetch(
        conn,
        sql.SQL(
            "SELECT plan_category, sum(amount) AS spent, count(*) AS n FROM {} "
            "WHERE user_id = %s AND day BETWEEN %s AND %s AND NOT deleted GROUP BY plan_category"
        ).format(table(schema, "budget_tx")),
        (user, start, end),
    )
    spent = {str(r["plan_category"]): Decimal(r["spent"]) for r in rows}
    counts = {str(r["plan_category"]): int(r["n"]) for r in rows}
    return spent, counts


def wants_count(counts: dict[str, int]) -> int:
    """How many of the counted transactions are wants."""
    return sum(counts.get(c, 0) for c in cat.WANTS)


@dataclass(frozen=True)
class PlanningInputs:
    """What a month's plan is computed from: the latest answers (None before onboarding), the
    mode and learned weights, the goals' reserve and the installments' schedules."""

    answers: dict[str, Any] | None
    mode: str
    weights: dict[str, Decimal] | None
    reserved: Decimal
    installments: list[dict[str, Any]]


async def planning_inputs(
    conn: AsyncConnection[DictRow], schema: str, user: uuid.UUID
) -> PlanningInputs:
    """The user's planning inputs from ``budget_profiles``."""
    rows = await fetch(
        conn,
        sql.SQL(
            "SELECT answers, mode, wants_weights, commitments FROM {} WHERE user_id = %s"
        ).format(table(schema, "budget_profiles")),
        (user,),
    )
    if not rows:
        return PlanningInputs(None, DEFAULT, None, ZERO, [])
    row = rows[0]
    weights = row["wants_weights"]
    followed = (row["commitments"] or {}).values()
    reserved = sum(
        (Decimal(str(c["amount"])) for c in followed if "amount" in c and c["active"]), ZERO
    )
    schedules = [c["terms"] for c in followed if c.get("terms")]
    return PlanningInputs(
        row["answers"],
        str(row["mode"] or DEFAULT),
        {c: Decimal(str(w)) for c, w in weights.items()} if weights else None,
        reserved,
        schedules,
    )
