"""Each user's behavioural features from the spending and users read models (last 90 days)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any, Final

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from contracts.budget import PLAN_CATEGORY_OF
from services.insights.engine import DISCRETIONARY
from shared.db import read_rows

WINDOW_DAYS: Final = 90
SHARES: Final = ("food", "shopping", "entertainment", "transportation", "housing")
IMPULSE_BELOW: Final = Decimal("15")


def _in(plan: str) -> list[str]:
    return sorted(c for c, p in PLAN_CATEGORY_OF.items() if p == plan)


async def features(
    conn: AsyncConnection[DictRow], schema: str, user: uuid.UUID | None = None
) -> list[dict[str, Any]]:
    """Feature rows of every user with spending in the window (or of one user)."""
    shares = sql.SQL(", ").join(
        sql.SQL(
            "coalesce(sum(s.amount) FILTER (WHERE s.category = ANY(%s)) / sum(s.amount), 0) AS {}"
        ).format(sql.Identifier(f"share_{plan}"))
        for plan in SHARES
    )
    query = sql.SQL(
        "SELECT s.user_id, sum(s.amount) / 3 AS monthly_spend, coalesce(u.income, 0) AS income, "
        "count(*) / 3.0 AS transactions_per_month, "
        "coalesce(sum(s.amount) FILTER (WHERE extract(isodow FROM s.spent_at AT TIME ZONE "
        "coalesce(u.timezone, 'UTC')) >= 6) / sum(s.amount), 0) AS weekend_share, "
        "count(*) FILTER (WHERE s.amount < %s AND s.category = ANY(%s))::numeric / count(*) "
        "AS impulse_rate, {shares} "
        "FROM {spending} s LEFT JOIN {users} u USING (user_id) "
        "WHERE NOT s.deleted AND s.spent_at >= now() - make_interval(days => %s) {one} "
        "GROUP BY s.user_id, u.income, u.timezone HAVING sum(s.amount) > 0"
    ).format(
        shares=shares,
        spending=sql.SQL("{}.spending").format(sql.Identifier(schema)),
        users=sql.SQL("{}.users").format(sql.Identifier(schema)),
        one=sql.SQL("AND s.user_id = %s") if user else sql.SQL(""),
    )
    params: list[Any] = [IMPULSE_BELOW, list(DISCRETIONARY), *(_in(p) for p in SHARES), WINDOW_DAYS]
    if user:
        params.append(user)
    rows = await read_rows(conn, query, params)
    for row in rows:
        income, spend = row["income"], row["monthly_spend"]
        row["savings_rate"] = (income - spend) / income if income else Decimal(0)
    return rows
