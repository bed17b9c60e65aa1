"""Spending of a run of ledger events folded in memory (``BudgetDaysProjection.apply_many``).

One by one, each ledger event reads its transaction and the user's zone and writes two rows.
A run of consecutive ledger events is folded here instead, from the rows read once, event by
event exactly as the one-by-one path (the tests' oracle) does, and then written once. What the fold
carries from one event to the next is kept as the table would hand it back (amounts rounded to
cents, naive times read in the session's zone), so a later event of the run sees the values
the one-by-one path would have read.
"""

from __future__ import annotations

import bisect
import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from services.budget.read.placement import DELETED, RECORDED, local_day, plan_category, zone
from shared.envelope import EventEnvelope

CENT = Decimal("0.01")
Table = Callable[[str], sql.Composed]
Key = tuple[uuid.UUID, dt.date, str]


def cents(amount: Decimal) -> Decimal:
    """An amount as a numeric(14,2) column stores it (ties away from zero, as Postgres)."""
    return amount.quantize(CENT, ROUND_HALF_UP)


def stored_time(value: Any, session: dt.tzinfo) -> dt.datetime:
    """A timestamp as a timestamptz column reads it back (naive: in the session's zone)."""
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=session)


@dataclass
class Tx:
    """A ``budget_tx`` row as the fold sees it (``user_id`` is never updated, as in SQL)."""

    user_id: uuid.UUID
    day: dt.date
    category: str
    plan_category: str
    amount: Decimal
    spent_at: dt.datetime
    placed_at: dt.datetime
    deleted: bool


class Zones:
    """Users' zone histories: the zone in effect at a moment (UTC before any)."""

    def __init__(self, rows: Iterable[tuple[uuid.UUID, dt.datetime, str]]) -> None:
        self._history: dict[uuid.UUID, tuple[list[dt.datetime], list[dt.tzinfo]]] = {}
        for user, effective_from, name in sorted(rows, key=lambda r: (r[0], r[1])):
            froms, zones = self._history.setdefault(user, ([], []))
            froms.append(effective_from)
            zones.append(zone(name))

    def at(self, user: uuid.UUID, moment: dt.datetime) -> dt.tzinfo:
        """The zone with the latest ``effective_from <= moment``."""
        froms, zones = self._history.get(user, ([], []))
        index = bisect.bisect_right(froms, moment)
        return zones[index - 1] if index else zone(None)


def replaced(
    rows: Iterable[Mapping[str, Any]], zone_at: Callable[[dt.datetime], dt.tzinfo]
) -> tuple[list[tuple[uuid.UUID, dt.date]], dict[tuple[dt.date, str], Decimal]]:
    """Where ``budget_tx`` rows land under the zone history: the (id, new day) of each row
    whose day changes, and the spent deltas per (day, plan category) that moves them."""
    moved: list[tuple[uuid.UUID, dt.date]] = []
    deltas: dict[tuple[dt.date, str], Decimal] = {}
    for row in rows:
        day = local_day(row["spent_at"], zone_at(row["placed_at"]))
        if day == row["day"]:
            continue
        moved.append((row["id"], day))
        if not row["deleted"]:
            old, new = (row["day"], row["plan_category"]), (day, row["plan_category"])
            deltas[old] = deltas.get(old, Decimal(0)) - row["amount"]
            deltas[new] = deltas.get(new, Decimal(0)) + row["amount"]
    return moved, deltas


class SpendingFold:
    """Ledger events applied in memory to the transactions they touch."""

    def __init__(self, txs: dict[uuid.UUID, Tx], zones: Zones, session: dt.tzinfo) -> None:
        self.txs = txs
        self.zones = zones
        self.session = session
        # Every (user, day, category) the one-by-one path would upsert, even when it nets to 0:
        # that path leaves the row in place, so the batch must create it too.
        self.spent: dict[Key, Decimal] = {}
        self.touched: set[uuid.UUID] = set()  # transactions to write

    def _add(self, user: uuid.UUID, day: dt.date, category: str, amount: Decimal) -> None:
        key = (user, day, category)
        self.spent[key] = self.spent.get(key, Decimal(0)) + amount

    def apply(self, event: EventEnvelope) -> None:
        """Record, amend (old out, new in) or delete (out) one transaction's spending."""
        p = event.payload
        user = uuid.UUID(str(p["user_id"]))
        old = self.txs.get(event.aggregate_id)
        if event.type != RECORDED and (old is None or old.deleted):
            return
        # Like the SQL path: the old placement leaves under the event's user, not the row's.
        if old is not None and not old.deleted:
            self._add(user, old.day, old.plan_category, -old.amount)
        self.touched.add(event.aggregate_id)
        if event.type == DELETED:
            assert old is not None  # the guard above returned otherwise
            old.deleted = True
            return
        base: dict[str, Any] = vars(old) if old is not None else {}
        amount = cents(Decimal(str(p["amount"]))) if p.get("amount") is not None else base["amount"]
        category = p.get("category") or base["category"]
        spent_at = p.get("spent_at") or base["spent_at"]
        placed_at = stored_time(event.occurred_at, self.session)
        day = local_day(spent_at, self.zones.at(user, placed_at))
        rolled = plan_category(category)
        self._add(user, day, rolled, amount)
        moment = stored_time(spent_at, self.session)
        if old is None:  # an insert: the row's user and a fresh deleted flag
            self.txs[event.aggregate_id] = Tx(
                user, day, category, rolled, amount, moment, placed_at, deleted=False
            )
            return
        # An upsert of an existing row keeps its user and its deleted flag.
        old.day, old.category, old.plan_category = day, category, rolled
        old.amount, old.spent_at, old.placed_at = amount, moment, placed_at


async def write_fold(conn: AsyncConnection[DictRow], table: Table, fold: SpendingFold) -> list[Key]:
    """Write a folded run: add its spent deltas and upsert the transactions it touched;
    return the day-category rows left empty (the caller drops them)."""
    empty: list[Key] = []
    # Arrays go as binary parameters (%b): half the client time of text arrays (no quoting).
    if fold.spent:
        keys = sorted(fold.spent)  # a fixed order: concurrent writers lock rows alike
        cur = await conn.execute(
            sql.SQL(
                "INSERT INTO {} AS d (user_id, day, category, spent) "
                "SELECT * FROM unnest(%b::uuid[], %b::date[], %b::text[], %b::numeric[]) "
                "ON CONFLICT (user_id, day, category) DO UPDATE SET spent = d.spent + "
                "EXCLUDED.spent RETURNING user_id, day, category, "
                "planned = 0 AND spent = 0 AS empty"
            ).format(table("budget_days")),
            (
                [k[0] for k in keys],
                [k[1] for k in keys],
                [k[2] for k in keys],
                [fold.spent[k] for k in keys],
            ),
        )
        empty = [
            (r["user_id"], r["day"], r["category"]) for r in await cur.fetchall() if r["empty"]
        ]
    if fold.touched:
        ids = sorted(fold.touched)
        rows = [fold.txs[i] for i in ids]
        # The columns the one-by-one path updates, plus the deleted flag its delete sets.
        await conn.execute(
            sql.SQL(
                "INSERT INTO {} (id, user_id, day, category, plan_category, amount, spent_at, "
                "placed_at, deleted) SELECT * FROM unnest(%b::uuid[], %b::uuid[], %b::date[], "
                "%b::text[], %b::text[], %b::numeric[], %b::timestamptz[], "
                "%b::timestamptz[], %b::boolean[]) ON CONFLICT (id) DO UPDATE "
                "SET day = EXCLUDED.day, category = EXCLUDED.category, "
                "plan_category = EXCLUDED.plan_category, amount = EXCLUDED.amount, "
                "spent_at = EXCLUDED.spent_at, placed_at = EXCLUDED.placed_at, "
                "deleted = EXCLUDED.deleted"
            ).format(table("budget_tx")),
            (
                ids,
                [t.user_id for t in rows],
                [t.day for t in rows],
                [t.category for t in rows],
                [t.plan_category for t in rows],
                [t.amount for t in rows],
                [t.spent_at for t in rows],
                [t.placed_at for t in rows],
                [t.deleted for t in rows],
            ),
        )
    return empty


async def drop_empty(
    conn: AsyncConnection[DictRow], table: Table, keys: list[tuple[uuid.UUID, dt.date, str]]
) -> None:
    """Delete rows left with nothing planned or spent.

    An empty row says nothing, and whether one exists would depend on the order the
    sources arrived in (a rebuild replays them one after the other): none are kept.
    """
    await conn.execute(
        sql.SQL(
            "DELETE FROM {} d USING unnest(%b::uuid[], %b::date[], %b::text[]) "
            "AS k(user_id, day, category) WHERE d.user_id = k.user_id AND d.day = k.day "
            "AND d.category = k.category AND d.planned = 0 AND d.spent = 0"
        ).format(table("budget_days")),
        ([k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys]),
    )


async def add_spent(
    conn: AsyncConnection[DictRow],
    table: Table,
    user: uuid.UUID,
    deltas: dict[tuple[dt.date, str], Decimal],
) -> None:
    """Add spent deltas to many day-category rows at once (rows left empty go)."""
    keys = sorted(k for k, v in deltas.items() if v)
    if not keys:
        return
    cur = await conn.execute(
        sql.SQL(
            "INSERT INTO {} AS d (user_id, day, category, spent) "
            "SELECT %s::uuid, * FROM unnest(%b::date[], %b::text[], %b::numeric[]) "
            "ON CONFLICT (user_id, day, category) DO UPDATE SET spent = d.spent + "
            "EXCLUDED.spent RETURNING day, category, planned = 0 AND spent = 0 AS empty"
        ).format(table("budget_days")),
        (user, [k[0] for k in keys], [k[1] for k in keys], [deltas[k] for k in keys]),
    )
    empty = [(user, r["day"], r["category"]) for r in await cur.fetchall() if r["empty"]]
    if empty:
        await drop_empty(conn, table, empty)
