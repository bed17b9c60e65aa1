"""Ledger read models."""

from __future__ import annotations

from decimal import Decimal

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from shared.envelope import EventEnvelope
from shared.projections import Projection

AMENDABLE = ("amount", "currency", "category", "spent_at", "description", "merchant")


class TransactionsProjection(Projection):
    """One row per transaction with its current state (deleted rows are kept, flagged)."""

    name = "ledger_transactions"
    sources = ("ledger",)
    handles = frozenset(
        {"ledger.TransactionRecorded", "ledger.TransactionAmended", "ledger.TransactionDeleted"}
    )

    async def setup(self, conn: AsyncConnection[DictRow]) -> None:
        """Create the transactions read model."""
        await conn.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} ("
                "id uuid PRIMARY KEY, user_id uuid NOT NULL, amount numeric(14,2) NOT NULL, "
                "currency text NOT NULL, category text NOT NULL, spent_at timestamptz NOT NULL, "
                "description text NOT NULL, merchant text, deleted boolean NOT NULL DEFAULT false, "
                "version bigint NOT NULL, position bigint NOT NULL)"
            ).format(self.table("transactions"))
        )
        await conn.execute(
            sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (user_id, spent_at DESC)").format(
                sql.Identifier(f"{self.name}_user_spent"), self.table("transactions")
            )
        )

    async def drop(self, conn: AsyncConnection[DictRow]) -> None:
        """Drop the read model."""
        await conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(self.table("transactions")))

    async def apply(self, conn: AsyncConnection[DictRow], event: EventEnvelope) -> None:
        """Fold one ledger event into its row."""
        p = event.payload
        tbl = self.table("transactions")
        if event.type == "ledger.TransactionRecorded":
            await conn.execute(
                sql.SQL(
                    "INSERT INTO {} (id, user_id, amount, currency, category, spent_at, "
                    "description, merchant, version, position) "
                    "VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)"
                ).format(tbl),
                (
                    event.aggregate_id,
                    p["user_id"],
                    Decimal(str(p["amount"])),
                    p["currency"],
                    p["category"],
                    p["spent_at"],
                    p["description"],
                    p.get("merchant"),
                    event.aggregate_version,
                    event.position,
                ),
            )
        elif event.type == "ledger.TransactionAmended":
            changes = {k: p[k] for k in AMENDABLE if p.get(k) is not None}
            if "amount" in changes:
                changes["amount"] = Decimal(str(changes["amount"]))
            assignments = [sql.SQL("{} = %s").format(sql.Identifier(k)) for k in changes]
            assignments += [sql.SQL("version = %s"), sql.SQL("position = %s")]
            await conn.execute(
                sql.SQL("UPDATE {} SET {} WHERE id = %s").format(
                    tbl, sql.SQL(", ").join(assignments)
                ),
                (*changes.values(), event.aggregate_version, event.position, event.aggregate_id),
            )
        else:
            await conn.execute(
                sql.SQL(
                    "UPDATE {} SET deleted = true, version = %s, position = %s WHERE id = %s"
                ).format(tbl),
                (event.aggregate_version, event.position, event.aggregate_id),
            )
