"""``auth_premium``: subscriptions as the store last stated them (a row's version only moves
forward) and each user's referral code, rebuilt from auth's events. A deleted account's rows
go with it."""

from __future__ import annotations

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from contracts.auth import USER_DELETED
from contracts.premium import (
    REFERRAL_CODE_ISSUED,
    SUBSCRIPTION_RENEWED,
    SUBSCRIPTION_STATUS_CHANGED,
    SUBSCRIPTION_VALIDATED,
)
from shared.envelope import EventEnvelope
from shared.projections import TablesProjection

TABLES = {
    "subscriptions": (
        "id uuid PRIMARY KEY, user_id uuid NOT NULL, platform text NOT NULL, "
        "transaction_id text NOT NULL, product_id text NOT NULL, "
        "purchased_at timestamptz NOT NULL, expires_at timestamptz NOT NULL, "
        "auto_renew boolean NOT NULL, trial boolean NOT NULL, status text NOT NULL, "
        "updated_at timestamptz NOT NULL, version bigint NOT NULL"
    ),
    "referral_codes": "user_id uuid PRIMARY KEY, code text NOT NULL UNIQUE",
}


class PremiumProjection(TablesProjection):
    """Subscriptions and referral codes."""

    name = "auth_premium"
    sources = ("auth",)
    handles = frozenset(
        {SUBSCRIPTION_VALIDATED, SUBSCRIPTION_RENEWED, SUBSCRIPTION_STATUS_CHANGED,
         REFERRAL_CODE_ISSUED, USER_DELETED}
    )  # fmt: skip

    tables = TABLES
    indexes = {"auth_premium_user": ("subscriptions", "user_id")}

    async def apply(self, conn: AsyncConnection[DictRow], event: EventEnvelope) -> None:
        """Fold one event (a redelivered or older one changes nothing)."""
        p, subs, version = event.payload, self.table("subscriptions"), event.aggregate_version
        if event.type == USER_DELETED:
            for name in TABLES:
                await conn.execute(
                    sql.SQL("DELETE FROM {} WHERE user_id = %s").format(self.table(name)),
                    (event.aggregate_id,),
                )
        elif event.type == REFERRAL_CODE_ISSUED:
            await conn.execute(
                sql.SQL("INSERT INTO {} (user_id, code) VALUES (%s, %s) ON CONFLICT DO NOTHING")
                .format(self.table("referral_codes")), (p["user_id"], p["code"]),
            )  # fmt: skip
        elif event.type == SUBSCRIPTION_VALIDATED:
            await conn.execute(
                sql.SQL(
                    "INSERT INTO {} (id, user_id, platform, transaction_id, product_id, "
                    "purchased_at, expires_at, auto_renew, trial, status, updated_at, version) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, 'active', %s, %s) "
                    "ON CONFLICT (id) DO NOTHING"
                ).format(subs),
                (event.aggregate_id, p["user_id"], p["platform"], p["transaction_id"],
                 p["product_id"], p["purchased_at"], p["expires_at"], p["auto_renew"],
                 p["trial"], p["at"], version),
            )  # fmt: skip
        elif event.type == SUBSCRIPTION_RENEWED:
            await conn.execute(
                sql.SQL(
                    "UPDATE {} SET product_id = %s, expires_at = %s, auto_renew = %s, "
                    "status = 'active', updated_at = %s, version = %s "
                    "WHERE id = %s AND version < %s"
                ).format(subs),
                (p["product_id"], p["expires_at"], p["auto_renew"], p["at"], version,
                 event.aggregate_id, version),
            )  # fmt: skip
        else:  # status changed
            await conn.execute(
                sql.SQL(
                    "UPDATE {} SET status = %s, auto_renew = false, updated_at = %s, "
                    "version = %s WHERE id = %s AND version < %s"
                ).format(subs),
                (p["status"], p["at"], version, event.aggregate_id, version),
            )
