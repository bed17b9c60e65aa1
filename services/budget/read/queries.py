"""Budget queries over the ``budget_days`` read model, and the shapes the app reads."""

from __future__ import annotations

import calendar
import datetime as dt
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from services.budget.engine.money import ZERO
from services.budget.engine.status import status

Cell = tuple[Decimal, Decimal]
Grid = dict[dt.date, dict[str, Cell]]
"""(planned, spent) per day and plan category."""


def table(schema: str, name: str) -> sql.Composed:
    """A budget read-model table, schema-qualified."""
    return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(name))


async def fetch(
    conn: AsyncConnection[DictRow], query: sql.Composed, params: tuple[Any, ...]
) -> list[dict[str, Any]]:
    """Rows of one read as dicts; the read's transaction ends (queries never write)."""
    cur = await conn.execute(query, params)
    rows = [dict(r) for r in await cur.fetchall()]
    await conn.commit()
    return rows


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    """First and last day of a month."""
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


async def grid(
    conn: AsyncConnection[DictRow], schema: str, user: uuid.UUID, start: dt.date, end: dt.date
) -> Grid:
    """Planned and spent per day-category between two days (inclusive)."""
    cur = await conn.execute(
        sql.SQL(
            "SELECT day, category, planned, spent FROM {} WHERE user_id = %s "
            "AND day BETWEEN %s AND %s AND (planned <> 0 OR spent <> 0) ORDER BY day, category"
        ).format(table(schema, "budget_days")),
        (user, start, end),
    )
    out: Grid = {}
    for row in await cur.fetchall():
        out.setdefault(row["day"], {})[row["category"]] = (row["planned"], row["spent"])
    await conn.commit()
    return out


async def user_timezone(conn: AsyncConnection[DictRow], schema: str, user: uuid.UUID) -> str | None:
    """The user's latest timezone (profile or onboarding), if any."""
    cur = await conn.execute(
        sql.SQL(
            "SELECT timezone FROM {} WHERE user_id = %s ORDER BY effective_from DESC LIMIT 1"
        ).format(table(schema, "budget_users")),
        (user,),
    )
    row = await cur.fetchone()
    await conn.commit()
    return str(row["timezone"]) if row else None


async def day_transactions(
    conn: AsyncConnection[DictRow], schema: str, user: uuid.UUID, day: dt.date
) -> list[dict[str, Any]]:
    """The live transactions on a user-local day."""
    rows = await fetch(
        conn,
        sql.SQL(
            "SELECT id, amount, category, plan_category, spent_at FROM {} "
            "WHERE user_id = %s AND day = %s AND NOT deleted ORDER BY spent_at, id"
        ).format(table(schema, "budget_tx")),
        (user, day),
    )
    return [{**r, "id": str(r["id"])} for r in rows]


async def moves(
    conn: AsyncConnection[DictRow], schema: str, user: uuid.UUID, limit: int = 500
) -> list[dict[str, Any]]:
    """The user's redistribution history, newest first."""
    return await fetch(
        conn,
        sql.SQL(
            "SELECT at, from_category, to_category, from_date, to_date, amount, reason FROM {} "
            "WHERE user_id = %s ORDER BY position DESC, seq LIMIT %s"
        ).format(table(schema, "budget_moves")),
        (user, limit),
    )


def totals(cells: Mapping[str, Cell]) -> Cell:
    """Σ planned and Σ spent over categories."""
    return (
        sum((p for p, _ in cells.values()), ZERO),
        sum((s for _, s in cells.values()), ZERO),
    )


def has_plan(days: Grid) -> bool:
    """Whether any day holds planned money."""
    return any(p != 0 for cells in days.values() for p, _ in cells.values())


def spent_of(days: Grid) -> dict[dt.date, dict[str, Decimal]]:
    """Spent per day-category (for the engine)."""
    return {d: {c: s for c, (_, s) in cells.items() if s} for d, cells in days.items()}


def calendar_entry(day: dt.date, cells: Mapping[str, Cell]) -> dict[str, Any]:
    """One day of ``/calendar/saved``."""
    planned, spent = totals(cells)
    return {
        "date": day.isoformat(),
        "day": day.day,
        "limit": planned,
        "total": planned,
        "spent": spent,
        "status": status(planned, spent).value,
        "planned_budget": {
            c: {"planned": p, "spent": s, "status": status(p, s).value}
            for c, (p, s) in sorted(cells.items())
        },
    }


def day_detail(
    day: dt.date, cells: Mapping[str, Cell], transactions: list[dict[str, Any]]
) -> dict[str, Any]:
    """The ``/calendar/day`` object."""
    planned, spent = totals(cells)
    return {
        "date": day.isoformat(),
        "limit": planned,
        "spent": spent,
        "status": status(planned, spent).value,
        "categories": [
            {
                "category": c,
                "planned": p,
                "spent": s,
                "remaining": p - s,
                "status": status(p, s).value,
            }
            for c, (p, s) in sorted(cells.items())
        ],
        "transactions": transactions,
    }


def daily_row(day: dt.date, cells: Mapping[str, Cell]) -> dict[str, Any]:
    """One row of ``/budget/daily``."""
    planned, spent = totals(cells)
    return {
        "date": day.isoformat(),
        "limit": planned,
        "budget": planned,
        "spent": spent,
        "remaining": planned - spent,
        "status": status(planned, spent).value,
    }


def remaining(days: Grid) -> dict[str, Decimal]:
    """Planned minus spent per category over the given days."""
    out: dict[str, Decimal] = {}
    for cells in days.values():
        for c, (p, s) in cells.items():
            out[c] = out.get(c, ZERO) + p - s
    return dict(sorted(out.items()))
