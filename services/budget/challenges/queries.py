"""Challenge queries over the read models (``budget_challenges`` for the attempts, the day plans'
``budget_tx`` and ``budget_days`` for what was spent and planned). Read only; an unstarted
projection reads as empty."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from services.budget.challenges.rules import ZERO, Attempt, Day
from services.budget.engine.categories import is_fixed
from shared.db import read_rows

Key = tuple[uuid.UUID, str, int]


def _of(user_id: uuid.UUID | None) -> tuple[sql.Composable, tuple[Any, ...]]:
    if user_id is None:
        return sql.SQL(""), ()
    return sql.SQL(" WHERE a.user_id = %s"), (user_id,)


async def attempts(
    conn: AsyncConnection[DictRow], schema: str, user_id: uuid.UUID | None = None
) -> list[dict[str, Any]]:
    """Every attempt (the caller's, or everyone's), oldest first, with the participant's
    display name and latest timezone."""
    where, params = _of(user_id)
    return await read_rows(
        conn,
        sql.SQL(
            "SELECT a.*, u.name, (SELECT z.timezone FROM {z} z WHERE z.user_id = a.user_id "
            "ORDER BY z.effective_from DESC LIMIT 1) AS timezone FROM {a} a "
            "LEFT JOIN {u} u ON u.user_id = a.user_id{w} "
            "ORDER BY a.joined_at, a.challenge_id, a.attempt"
        ).format(
            a=sql.Identifier(schema, "challenge_attempts"),
            u=sql.Identifier(schema, "challenge_users"),
            z=sql.Identifier(schema, "budget_users"),
            w=where,
        ),
        params,
    )


def attempt_of(row: dict[str, Any]) -> Attempt:
    """An attempt row as the rules take it."""
    return Attempt(row["challenge_id"], row["start_day"], row["end_day"], row["cap"],
                   row["left_day"])  # fmt: skip


async def facts(
    conn: AsyncConnection[DictRow], schema: str, user_id: uuid.UUID | None = None
) -> dict[Key, dict[dt.date, Day]]:
    """Each attempt's days: spending since it was joined (by category, and outside the fixed
    bills) and the whole day's spending and plan."""
    where, params = _of(user_id)
    a = sql.Identifier(schema, "challenge_attempts")
    spent = await read_rows(
        conn,
        sql.SQL(
            "SELECT a.user_id, a.challenge_id, a.attempt, t.day, t.category, t.plan_category, "
            "sum(t.amount) AS amount FROM {a} a JOIN {t} t ON t.user_id = a.user_id "
            "AND t.day BETWEEN a.start_day AND a.end_day AND t.spent_at >= a.joined_at "
            "AND NOT t.deleted{w} GROUP BY 1, 2, 3, 4, 5, 6"
        ).format(a=a, t=sql.Identifier(schema, "budget_tx"), w=where),
        params,
    )
    planned = await read_rows(
        conn,
        sql.SQL(
            "SELECT a.user_id, a.challenge_id, a.attempt, d.day, sum(d.spent) AS spent, "
            "sum(d.planned) AS planned FROM {a} a JOIN {d} d ON d.user_id = a.user_id "
            "AND d.day BETWEEN a.start_day AND a.end_day{w} GROUP BY 1, 2, 3, 4"
        ).format(a=a, d=sql.Identifier(schema, "budget_days"), w=where),
        params,
    )
    by_category: dict[Key, dict[dt.date, dict[str, Decimal]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    flexible: dict[Key, dict[dt.date, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for r in spent:
        key = (r["user_id"], r["challenge_id"], r["attempt"])
        sums = by_category[key][r["day"]]
        sums[r["category"]] = sums.get(r["category"], ZERO) + r["amount"]
        if not is_fixed(r["plan_category"]):
            flexible[key][r["day"]] += r["amount"]
    totals: dict[Key, dict[dt.date, dict[str, Any]]] = defaultdict(dict)
    for r in planned:
        totals[(r["user_id"], r["challenge_id"], r["attempt"])][r["day"]] = r
    out: dict[Key, dict[dt.date, Day]] = defaultdict(dict)
    for key in {*by_category, *totals}:
        for day in {*by_category.get(key, {}), *totals.get(key, {})}:
            total = totals.get(key, {}).get(day, {})
            out[key][day] = Day(
                by_category=by_category.get(key, {}).get(day, {}),
                flexible=flexible.get(key, {}).get(day, ZERO),
                spent=total.get("spent") or ZERO,
                planned=total.get("planned") or ZERO,
            )
    return out


async def spent_before(
    conn: AsyncConnection[DictRow], schema: str, user_id: uuid.UUID, first: dt.date,
    before: dt.datetime,
) -> dict[str, Decimal]:  # fmt: skip
    """What the user spent per category from local day ``first`` until the instant ``before``
    (a cap challenge's baseline)."""
    rows = await read_rows(
        conn,
        sql.SQL(
            "SELECT category, sum(amount) AS amount FROM {} WHERE user_id = %s AND day >= %s "
            "AND spent_at < %s AND NOT deleted GROUP BY category"
        ).format(sql.Identifier(schema, "budget_tx")),
        (user_id, first, before),
    )
    return {r["category"]: r["amount"] for r in rows}
