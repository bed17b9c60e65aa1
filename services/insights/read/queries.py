"""Reads of the insights read models (no writes): a user's spending by period, category,
day and merchant, in the user's own local days."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection, errors, sql
from psycopg.rows import DictRow

from shared.dates import timezone_of

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Person:
    """What the analytics know of a user."""

    zone: dt.tzinfo
    zone_name: str
    income: Decimal | None
    currency: str | None


# One zone conversion per row, formatted per group: to_char/extract on every row cost 2x.
LOCAL_MONTH = "date_trunc('month', spent_at AT TIME ZONE %s)"


def month_bounds(year: int, month: int, zone: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """The instants a local month starts and ends at (end exclusive)."""
    start = dt.datetime(year, month, 1, tzinfo=zone)
    end = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=zone)
    return start, end


def shift(year: int, month: int, by: int) -> tuple[int, int]:
    """The month ``by`` months after (or before) ``year-month``."""
    index = year * 12 + month - 1 + by
    return index // 12, index % 12 + 1


class Reads:
    """The read models of one schema, read through one connection."""

    def __init__(self, conn: AsyncConnection[DictRow], schema: str) -> None:
        self.conn = conn
        self.schema = schema

    def _t(self, name: str) -> sql.Composed:
        return sql.SQL("{}.{}").format(sql.Identifier(self.schema), sql.Identifier(name))

    async def _rows(self, query: sql.Composed, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        try:
            cur = await self.conn.execute(query, params)
        except errors.UndefinedTable:  # the projection has not created its tables yet
            await self.conn.rollback()
            return []
        rows = [dict(r) for r in await cur.fetchall()]
        await self.conn.commit()  # end the read's transaction (no snapshot held open)
        return rows

    async def person(self, user: uuid.UUID, header_zone: str | None = None) -> Person:
        """The user's zone (the header's, else the profile's, else UTC), income, currency."""
        rows = await self._rows(
            sql.SQL("SELECT timezone, income, currency FROM {} WHERE user_id = %s").format(
                self._t("users")
            ),
            (user,),
        )
        row = rows[0] if rows else {}
        name = header_zone or row.get("timezone") or "UTC"
        try:
            zone = timezone_of(name) or dt.UTC
        except ValueError:
            zone, name = dt.UTC, "UTC"
        return Person(zone, name, row.get("income"), row.get("currency"))

    async def by_category(
        self, user: uuid.UUID, start: dt.datetime, end: dt.datetime
    ) -> list[dict[str, Any]]:
        """Live spending per category in [start, end): amount and count, largest first."""
        return await self._rows(
            sql.SQL(
                "SELECT category, sum(amount) AS amount, count(*) AS count FROM {} "
                "WHERE user_id = %s AND NOT deleted AND spent_at >= %s AND spent_at < %s "
                "GROUP BY category ORDER BY sum(amount) DESC, category"
            ).format(self._t("spending")),
            (user, start, end),
        )

    async def by_day(
        self, user: uuid.UUID, start: dt.datetime, end: dt.datetime, zone: str
    ) -> list[dict[str, Any]]:
        """Live spending per local day in [start, end), oldest first."""
        return await self._rows(
            sql.SQL(
                "SELECT (spent_at AT TIME ZONE %s)::date AS date, sum(amount) AS amount FROM {} "
                "WHERE user_id = %s AND NOT deleted AND spent_at >= %s AND spent_at < %s "
                "GROUP BY 1 ORDER BY 1"
            ).format(self._t("spending")),
            (zone, user, start, end),
        )

    async def by_merchant(
        self, user: uuid.UUID, start: dt.datetime, end: dt.datetime, limit: int = 10
    ) -> list[dict[str, Any]]:
        """The merchants visited most in [start, end) (then by amount)."""
        return await self._rows(
            sql.SQL(
                "SELECT merchant, count(*) AS count, sum(amount) AS amount FROM {} "
                "WHERE user_id = %s AND NOT deleted AND spent_at >= %s AND spent_at < %s "
                "AND coalesce(merchant, '') <> '' GROUP BY merchant "
                "ORDER BY count(*) DESC, sum(amount) DESC, merchant LIMIT %s"
            ).format(self._t("spending")),
            (user, start, end, limit),
        )

    async def spending_mark(self, user: uuid.UUID) -> int:
        """The ledger position of the user's latest spending event (0: none yet)."""
        rows = await self._rows(
            sql.SQL("SELECT position FROM {} WHERE user_id = %s").format(self._t("spending_marks")),
            (user,),
        )
        return int(rows[0]["position"]) if rows else 0

    async def by_month(
        self, user: uuid.UUID, start: dt.datetime, end: dt.datetime, zone: str
    ) -> dict[str, dict[str, Any]]:
        """Live spending per local month in [start, end), keyed ``YYYY-MM``."""
        rows = await self._rows(
            sql.SQL(
                "SELECT to_char(t, 'YYYY-MM') AS month, total, count FROM ("
                f"SELECT {LOCAL_MONTH} AS t, sum(amount) AS total, count(*) AS count FROM {{}} "
                "WHERE user_id = %s AND NOT deleted AND spent_at >= %s AND spent_at < %s "
                "GROUP BY 1) g"
            ).format(self._t("spending")),
            (zone, user, start, end),
        )
        return {r["month"]: r for r in rows}

    async def by_month_category(
        self, user: uuid.UUID, start: dt.datetime, end: dt.datetime, zone: str
    ) -> dict[tuple[int, int, str], Decimal]:
        """Live spending per local (year, month, category) in [start, end)."""
        rows = await self._rows(
            sql.SQL(
                "SELECT extract(year FROM t)::int AS y, extract(month FROM t)::int AS m, "
                f"category, total FROM (SELECT {LOCAL_MONTH} AS t, category, "
                "sum(amount) AS total FROM {} WHERE user_id = %s AND NOT deleted "
                "AND spent_at >= %s AND spent_at < %s GROUP BY 1, 2) g"
            ).format(self._t("spending")),
            (zone, user, start, end),
        )
        return {(r["y"], r["m"], r["category"]): r["total"] for r in rows}

    async def by_day_category(
        self, user: uuid.UUID, start: dt.datetime, end: dt.datetime, zone: str
    ) -> list[dict[str, Any]]:
        """Live spending per local day and category in [start, end)."""
        return await self._rows(
            sql.SQL(
                "SELECT (spent_at AT TIME ZONE %s)::date AS date, category, "
                "sum(amount) AS amount FROM {} WHERE user_id = %s AND NOT deleted "
                "AND spent_at >= %s AND spent_at < %s GROUP BY 1, 2 ORDER BY 1, 2"
            ).format(self._t("spending")),
            (zone, user, start, end),
        )

    async def category_spread(
        self, user: uuid.UUID, start: dt.datetime, end: dt.datetime
    ) -> dict[str, tuple[Decimal, Decimal, int]]:
        """Per category in [start, end): the exact median amount, the median absolute
        deviation from it, and the count (the middle values' mean, as ``statistics.median``)."""
        rows = await self._rows(
            sql.SQL(
                "WITH s AS (SELECT category, amount FROM {} WHERE user_id = %s AND NOT deleted "
                "AND spent_at >= %s AND spent_at < %s), "
                "m AS (SELECT category, count(*) AS n, "
                "(percentile_disc(0.5) WITHIN GROUP (ORDER BY amount) + "
                "percentile_disc(0.5) WITHIN GROUP (ORDER BY amount DESC)) / 2 AS median "
                "FROM s GROUP BY category) "
                "SELECT m.category, m.n, m.median, "
                "(percentile_disc(0.5) WITHIN GROUP (ORDER BY abs(s.amount - m.median)) + "
                "percentile_disc(0.5) WITHIN GROUP (ORDER BY abs(s.amount - m.median) DESC)) "
                "/ 2 AS mad FROM s JOIN m USING (category) GROUP BY m.category, m.n, m.median"
            ).format(self._t("spending")),
            (user, start, end),
        )
        return {r["category"]: (r["median"], r["mad"], int(r["n"])) for r in rows}

    async def by_weekday(
        self, user: uuid.UUID, start: dt.datetime, end: dt.datetime, zone: str
    ) -> dict[int, Decimal]:
        """Live spending per local weekday (0 = Monday) in [start, end)."""
        rows = await self._rows(
            sql.SQL(
                "SELECT extract(isodow FROM spent_at AT TIME ZONE %s)::int - 1 AS weekday, "
                "sum(amount) AS amount FROM {} WHERE user_id = %s AND NOT deleted "
                "AND spent_at >= %s AND spent_at < %s GROUP BY 1"
            ).format(self._t("spending")),
            (zone, user, start, end),
        )
        return {int(r["weekday"]): r["amount"] for r in rows}

    async def month_habits(
        self,
        user: uuid.UUID,
        start: dt.datetime,
        end: dt.datetime,
        zone: str,
        optional: list[str],
        impulse_below: Decimal,
    ) -> dict[str, dict[str, Any]]:
        """Per local month ``YYYY-MM`` in [start, end): total, purchases, the ``optional``
        categories' total and the small (< ``impulse_below``) optional purchases."""
        rows = await self._rows(
            sql.SQL(
                "SELECT to_char(t, 'YYYY-MM') AS month, total, count, optional, impulse FROM ("
                f"SELECT {LOCAL_MONTH} AS t, sum(amount) AS total, count(*) AS count, "
                "coalesce(sum(amount) FILTER (WHERE category = ANY(%s)), 0) AS optional, "
                "count(*) FILTER (WHERE category = ANY(%s) AND amount < %s) AS impulse "
                "FROM {} WHERE user_id = %s AND NOT deleted AND spent_at >= %s "
                "AND spent_at < %s GROUP BY 1) g"
            ).format(self._t("spending")),
            (zone, optional, optional, impulse_below, user, start, end),
        )
        return {r["month"]: r for r in rows}


async def history(
    reads: Reads, user: uuid.UUID, start: dt.datetime, end: dt.datetime
) -> list[dict[str, Any]]:
    """The user's live transactions in [start, end), oldest first (for the advice engine)."""
    return await reads._rows(
        sql.SQL(
            "SELECT id, amount, category, merchant, spent_at FROM {} "
            "WHERE user_id = %s AND NOT deleted AND spent_at >= %s AND spent_at < %s "
            "ORDER BY spent_at, id"
        ).format(reads._t("spending")),
        (user, start, end),
    )


async def cluster_model(conn: AsyncConnection[DictRow], schema: str) -> dict[str, Any] | None:
    """The current cluster model's parameters (None before the first refit)."""
    rows = await Reads(conn, schema)._rows(
        sql.SQL("SELECT model FROM {}.cluster_model WHERE id = 1").format(sql.Identifier(schema)),
        (),
    )
    return rows[0]["model"] if rows else None


async def cohort_month(
    reads: Reads,
    low: Decimal,
    high: Decimal | None,
    start: dt.datetime,
    end: dt.datetime,
    exclude: uuid.UUID,
) -> list[dict[str, Any]]:
    """Per user and category, the month's spending of the users whose income is in
    [low, high) (``exclude`` left out): the cohort's raw figures, never returned as such."""
    return await reads._rows(
        sql.SQL(
            "SELECT s.user_id, s.category, sum(s.amount) AS amount FROM {} s "
            "JOIN {} u USING (user_id) WHERE NOT s.deleted AND s.spent_at >= %s "
            "AND s.spent_at < %s AND s.user_id <> %s AND coalesce(u.income, 0) >= %s "
            "AND (%s::numeric IS NULL OR coalesce(u.income, 0) < %s) GROUP BY 1, 2"
        ).format(reads._t("spending"), reads._t("users")),
        (start, end, exclude, low, high, high),
    )


async def feature_usage(reads: Reads, user: uuid.UUID, feature: str) -> list[dict[str, Any]]:
    """The user's own counts of one feature, per kind of event."""
    return await reads._rows(
        sql.SQL(
            "SELECT kind, events, first_at, last_at FROM {} WHERE user_id = %s AND feature = %s "
            "ORDER BY kind"
        ).format(reads._t("usage_by_user")),
        (user, feature),
    )


async def admin_figures(reads: Reads, days: int) -> dict[str, Any]:
    """Counts for the admin portal, without personal data."""
    users = await reads._rows(sql.SQL("SELECT count(*) AS n FROM {}").format(reads._t("users")), ())
    active = await reads._rows(
        sql.SQL(
            "SELECT count(DISTINCT user_id) AS n FROM {} WHERE NOT deleted "
            "AND spent_at >= now() - make_interval(days => %s)"
        ).format(reads._t("spending")),
        (days,),
    )
    per_day = await reads._rows(
        sql.SQL(
            "SELECT day, sum(events) AS events FROM {} WHERE day >= current_date - %s "
            "GROUP BY day ORDER BY day"
        ).format(reads._t("usage_daily")),
        (days,),
    )
    return {
        "users": int(users[0]["n"]) if users else 0,
        "active_users": int(active[0]["n"]) if active else 0,
        "events_per_day": [{"day": r["day"], "events": int(r["events"])} for r in per_day],
    }


async def behavior_settings(reads: Reads, user: uuid.UUID) -> dict[str, Any]:
    """The user's changed behaviour settings and when (empty before the first change)."""
    rows = await reads._rows(
        sql.SQL(
            "SELECT preferences, notifications, preferences_at, notifications_at FROM {} "
            "WHERE user_id = %s"
        ).format(reads._t("behavior_settings")),
        (user,),
    )
    return rows[0] if rows else {}


async def latest_snapshots(reads: Reads, user: uuid.UUID, limit: int) -> list[dict[str, Any]]:
    """The user's latest snapshots, most recently taken first."""
    return await reads._rows(
        sql.SQL(
            "SELECT year, month, rating, risk, score, components, summary, "
            "taken_at AS created_at FROM {} WHERE user_id = %s "
            "ORDER BY taken_at DESC, year DESC, month DESC LIMIT %s"
        ).format(reads._t("snapshots")),
        (user, limit),
    )
