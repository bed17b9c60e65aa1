"""``ledger_installments``: the installments as the app lists them (deleted ones flagged; a
row's version only moves forward), each user's installment profile, and the calculations
they ran (the achievements count them) — all rebuilt from the installment events."""

from __future__ import annotations

import json
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from contracts.installment_plans import (
    CALCULATION_PERFORMED,
    INSTALLMENT_CREATED,
    INSTALLMENT_DELETED,
    INSTALLMENT_EVENTS,
    INSTALLMENT_NOTES_CHANGED,
    PROFILE_SAVED,
)
from shared.envelope import EventEnvelope
from shared.projections import Projection

PLAN_COLUMNS = (
    "item_name", "category", "payment_frequency", "total_amount", "payment_amount",
    "interest_rate", "total_payments", "first_payment_date", "payments_made", "notes", "status",
)  # fmt: skip
CALC_COLUMNS = ("category", "purchase_amount", "risk_level", "total_interest", "performed_at")
TABLES = {
    "installments": (
        "id uuid PRIMARY KEY, user_id uuid NOT NULL, item_name text NOT NULL, "
        "category text NOT NULL, payment_frequency text NOT NULL, "
        "total_amount numeric(14,2) NOT NULL, payment_amount numeric(14,2) NOT NULL, "
        "interest_rate numeric(6,2) NOT NULL, total_payments int NOT NULL, "
        "first_payment_date date NOT NULL, payments_made int NOT NULL, notes text, "
        "status text NOT NULL, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, "
        "deleted boolean NOT NULL DEFAULT false, version bigint NOT NULL"
    ),
    "installment_profiles": (
        "user_id uuid PRIMARY KEY, id uuid NOT NULL, fields jsonb NOT NULL, "
        "updated_at timestamptz NOT NULL, version bigint NOT NULL"
    ),
    "installment_calculations": (
        "id uuid PRIMARY KEY, user_id uuid NOT NULL, category text NOT NULL, "
        "purchase_amount numeric(14,2) NOT NULL, risk_level text NOT NULL, "
        "total_interest numeric(14,2) NOT NULL, performed_at timestamptz NOT NULL"
    ),
}


class InstallmentsProjection(Projection):
    """Installments, profiles and calculations of every user."""

    name = "ledger_installments"
    sources = ("ledger",)
    handles = INSTALLMENT_EVENTS | {PROFILE_SAVED, CALCULATION_PERFORMED}

    async def setup(self, conn: AsyncConnection[DictRow]) -> None:
        """Create the tables."""
        for name, columns in TABLES.items():
            await conn.execute(
                sql.SQL(f"CREATE TABLE IF NOT EXISTS {{}} ({columns})").format(self.table(name))
            )
        for name in ("installments", "installment_calculations"):
            await conn.execute(
                sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (user_id)").format(
                    sql.Identifier(f"ledger_{name}_user"), self.table(name)
                )
            )

    async def drop(self, conn: AsyncConnection[DictRow]) -> None:
        """Drop the tables."""
        for name in TABLES:
            await conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(self.table(name)))

    async def _insert(self, conn: AsyncConnection[DictRow], table: str, row: dict[str, Any],
                      conflict: str = "ON CONFLICT (id) DO NOTHING") -> None:  # fmt: skip
        await conn.execute(
            sql.SQL("INSERT INTO {} ({}) VALUES ({}) " + conflict).format(
                self.table(table),
                sql.SQL(", ").join(map(sql.Identifier, row)),
                sql.SQL(", ").join(sql.Placeholder() * len(row)),
            ),
            tuple(row.values()),
        )

    async def apply(self, conn: AsyncConnection[DictRow], event: EventEnvelope) -> None:
        """Fold one event into its row (older versions lose)."""
        p = event.payload
        if event.type == CALCULATION_PERFORMED:
            row = {"id": event.aggregate_id, "user_id": p["user_id"]} | {
                k: p[k] for k in CALC_COLUMNS
            }
            await self._insert(conn, "installment_calculations", row)
            return
        if event.type == PROFILE_SAVED:
            row = {"user_id": p["user_id"], "id": event.aggregate_id,
                   "fields": json.dumps(p["fields"], default=str), "updated_at": p["at"],
                   "version": event.aggregate_version}  # fmt: skip
            await self._insert(
                conn, "installment_profiles", row,
                "ON CONFLICT (user_id) DO UPDATE SET fields = EXCLUDED.fields, "
                "updated_at = EXCLUDED.updated_at, version = EXCLUDED.version "
                "WHERE installment_profiles.version < EXCLUDED.version",
            )  # fmt: skip
            return
        if event.type == INSTALLMENT_CREATED:
            row = {"id": event.aggregate_id, "user_id": p["user_id"]} | {
                k: p[k] for k in PLAN_COLUMNS
            } | {"created_at": p["created_at"], "updated_at": p["created_at"],
                 "version": event.aggregate_version}  # fmt: skip
            await self._insert(conn, "installments", row)
            return
        if event.type == INSTALLMENT_DELETED:
            changes: dict[str, Any] = {"deleted": True}
        elif event.type == INSTALLMENT_NOTES_CHANGED:
            changes = {"notes": p["notes"]}
        else:
            changes = {"payments_made": p["payments_made"], "status": p["status"]}
        changes["updated_at"] = p["at"]
        sets = [sql.SQL("{} = %s").format(sql.Identifier(k)) for k in (*changes, "version")]
        await conn.execute(
            sql.SQL("UPDATE {} SET {} WHERE id = %s AND version < %s").format(
                self.table("installments"), sql.SQL(", ").join(sets)
            ),
            (*changes.values(), event.aggregate_version, event.aggregate_id,
             event.aggregate_version),
        )  # fmt: skip
