"""What a ledger write did to the budget, once the budget side has seen it (bounded wait).

The gateway asks after every transaction write, with the ledger position the write stored:
the answer waits until the day plans (``budget_days``) and the real-time redistribution policy
have both handled that position, and, when the policy covered the transaction, until the day
plans hold the cover too. All of it shares one deadline (``read_your_writes_timeout``, 1 s);
past it the answer still comes, with ``caught_up: false`` and what the read model has.
"""

from __future__ import annotations

import time
import uuid
from decimal import Decimal
from typing import Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from services.budget.deps import PROJECTION, BudgetContext, Context, Reader
from services.budget.engine.money import ZERO
from shared.api import ok
from shared.projections import poll, wait_for_position

POLICY = "budget_redistribution"
MAX_POSITION = 2**63 - 1


async def placement(
    conn: AsyncConnection[DictRow], schema: str, user: uuid.UUID, transaction_id: uuid.UUID
) -> dict[str, Any] | None:
    """Where the user's live transaction counts, that day-category's plan and its cover."""

    def table(name: str) -> sql.Composed:
        return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(name))

    cur = await conn.execute(
        sql.SQL(
            "SELECT t.day, t.plan_category, d.planned, d.spent, c.covered, c.fully_covered, "
            "EXISTS (SELECT 1 FROM {days} m WHERE m.user_id = t.user_id AND m.planned <> 0 "
            "AND m.day >= date_trunc('month', t.day)::date "
            "AND m.day < (date_trunc('month', t.day) + interval '1 month')::date) AS planned_month "
            "FROM {tx} t LEFT JOIN {days} d ON d.user_id = t.user_id AND d.day = t.day "
            "AND d.category = t.plan_category LEFT JOIN {covers} c ON c.transaction_id = t.id "
            "WHERE t.id = %s AND t.user_id = %s AND NOT t.deleted"
        ).format(tx=table("budget_tx"), days=table("budget_days"), covers=table("budget_covers")),
        (transaction_id, user),
    )
    row = await cur.fetchone()
    await conn.commit()
    return dict(row) if row is not None else None


def impact_of(row: dict[str, Any]) -> dict[str, Any]:
    """The balance impact on the transaction's user-local day and plan category."""
    planned: Decimal | None = None
    if row["planned_month"]:
        planned = row["planned"] if row["planned"] is not None else ZERO
    spent: Decimal = row["spent"] if row["spent"] is not None else ZERO
    covered: Decimal | None = row["covered"]
    return {
        "day": row["day"].isoformat(),
        "plan_category": row["plan_category"],
        # No plan for the month (not onboarded, or a month never planned): nothing is known.
        "remaining_budget": None if planned is None else max(ZERO, planned - spent),
        "budget_exceeded": planned is not None and spent > planned,
        "rebalanced": covered is not None,
        "rebalance_covered": covered if covered is not None else ZERO,
        "rebalance_fully_covered": bool(row["fully_covered"]),
    }


async def _wait(ctx: BudgetContext, projection: str, position: int, deadline: float) -> bool:
    async with ctx.pool.connection() as conn:
        return await wait_for_position(
            conn,
            ctx.schema,
            projection,
            "ledger",
            position,
            max(0.0, deadline - time.monotonic()),
        )


async def _settled_cover(
    ctx: BudgetContext, user: uuid.UUID, transaction_id: uuid.UUID, deadline: float
) -> dict[str, Any] | None:
    """Poll the read model until the policy's stored cover is in it (or the deadline)."""
    row: dict[str, Any] | None = None

    async def settled() -> bool:
        nonlocal row
        async with ctx.pool.connection() as conn:
            row = await placement(conn, ctx.schema, user, transaction_id)
        return row is None or row["covered"] is not None

    await poll(settled, max(0.0, deadline - time.monotonic()))
    return row


router = APIRouter()


@router.get("/budget/sync")
async def sync(
    caller: Reader,
    ctx: Context,
    position: int = Query(ge=0, le=MAX_POSITION, description="The ledger write's position"),
    service: Literal["ledger"] = "ledger",
    transaction_id: uuid.UUID | None = None,
) -> Response:
    """Wait (bounded) for the budget side of a ledger write; the transaction's impact."""
    deadline = time.monotonic() + ctx.settings.read_your_writes_timeout
    caught_up = position == 0 or (
        await _wait(ctx, PROJECTION, position, deadline)
        and await _wait(ctx, POLICY, position, deadline)
    )
    if transaction_id is None:
        return ok({"caught_up": caught_up, "impact": None})
    async with ctx.pool.connection() as conn:
        row = await placement(conn, ctx.schema, caller.sub, transaction_id)
    # The policy has decided; whether it stored a cover only the write model knows yet.
    if (
        row is not None
        and row["covered"] is None
        and caught_up
        and await ctx.run(ctx.application.covered, caller.sub, transaction_id, row["day"])
    ):
        row = await _settled_cover(ctx, caller.sub, transaction_id, deadline)
        caught_up = row is None or row["covered"] is not None
    impact = impact_of(row) if row is not None else None
    return ok({"caught_up": caught_up, "impact": impact})
