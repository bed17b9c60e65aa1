"""Auth read models: the users table behind /users/me and the admin portal."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from contracts.auth import PREFERENCE_TYPES, PROFILE_TYPES
from contracts.budget import ONBOARDING_SUBMITTED
from shared import jsonutil
from shared.envelope import EventEnvelope
from shared.projections import Projection

ONBOARDED = ONBOARDING_SUBMITTED  # the budget's event: the user has onboarded
NUMERIC_PREFERENCES = frozenset(n for n, t in PREFERENCE_TYPES.items() if t is Decimal)
SQL_TYPES: dict[type, str] = {str: "text", Decimal: "numeric(14,2)", bool: "boolean"}
# One column per profile field of the contract (money in cents, as the domain keeps it).
PROFILE_COLUMNS = {name: SQL_TYPES[kind] for name, kind in PROFILE_TYPES.items()}


class UsersProjection(Projection):
    """One row per account (deleted accounts stay, flagged)."""

    name = "auth_users"
    # The budget says who has onboarded (``has_onboarded``); the rest is the auth stream.
    sources = ("auth", "budget")
    handles = frozenset(
        {
            "auth.UserRegistered",
            "auth.UserLoggedIn",
            "auth.UserProfileUpdated",
            "auth.UserPreferencesUpdated",
            "auth.UserDeleted",
            "auth.UserLocked",
            "auth.UserUnlocked",
            "auth.UserAdminGranted",
            "auth.UserAdminRevoked",
            ONBOARDED,
        }
    )

    async def setup(self, conn: AsyncConnection[DictRow]) -> None:
        """Create the users table."""
        profile = sql.SQL(", ").join(
            sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(t))
            for c, t in PROFILE_COLUMNS.items()
        )
        await conn.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (id uuid PRIMARY KEY, email text NOT NULL, "
                "provider text NOT NULL, annual_income numeric(14,2), {}, "
                "preferences jsonb NOT NULL DEFAULT '{{}}', is_admin boolean NOT NULL, "
                "is_premium boolean NOT NULL DEFAULT false, "
                "email_verified boolean NOT NULL DEFAULT false, "
                "has_onboarded boolean NOT NULL DEFAULT false, "
                "created_at timestamptz NOT NULL, last_login timestamptz, "
                "deleted boolean NOT NULL DEFAULT false, version bigint NOT NULL)"
            ).format(self.table("users"), profile)
        )
        # Added with the admin portal's lock (tables of older deployments get it here).
        await conn.execute(
            sql.SQL(
                "ALTER TABLE {} ADD COLUMN IF NOT EXISTS locked boolean NOT NULL DEFAULT false"
            ).format(self.table("users"))
        )
        # Onboardings by user, whichever of the two streams arrives first (rebuilds replay
        # one source after the other).
        await conn.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (user_id uuid PRIMARY KEY, at timestamptz NOT NULL)"
            ).format(self.table("onboarded"))
        )

    async def drop(self, conn: AsyncConnection[DictRow]) -> None:
        """Drop the users table."""
        for table in ("users", "onboarded"):
            await conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(self.table(table)))

    async def apply(self, conn: AsyncConnection[DictRow], event: EventEnvelope) -> None:
        """Fold one auth event into its row."""
        p = event.payload
        users = self.table("users")
        uid = event.aggregate_id
        if event.type == ONBOARDED:
            await self._onboarded(conn, event)
            return
        if event.type == "auth.UserRegistered":
            profile = {k: v for k, v in p["profile"].items() if k in PROFILE_COLUMNS}
            columns = ["id", "email", "provider", "annual_income", "is_admin", "created_at"]
            columns += ["version", *profile]
            values: list[Any] = [uid, p["email"], p["provider"], p["annual_income"]]
            values += [p["is_admin"], p["registered_at"], event.aggregate_version]
            values += list(profile.values())
            await conn.execute(
                sql.SQL("INSERT INTO {} ({}) VALUES ({}) ON CONFLICT (id) DO NOTHING").format(
                    users,
                    sql.SQL(", ").join(map(sql.Identifier, columns)),
                    sql.SQL(", ").join(sql.Placeholder() * len(columns)),
                ),
                values,
            )
            await conn.execute(
                sql.SQL(
                    "UPDATE {} SET has_onboarded = true WHERE id = %s "
                    "AND EXISTS (SELECT 1 FROM {} WHERE user_id = %s)"
                ).format(users, self.table("onboarded")),
                (uid, uid),
            )
            return
        changes: dict[str, Any] = {"version": event.aggregate_version}
        if event.type == "auth.UserLoggedIn":
            changes["last_login"] = p["at"]
        elif event.type == "auth.UserProfileUpdated":
            changes.update({k: v for k, v in p["changes"].items() if k in PROFILE_COLUMNS})
        elif event.type == "auth.UserDeleted":
            # Nothing personal stays on a deleted account's row (its events are shredded).
            changes.update(deleted=True, email="", name=None)
        elif event.type in ("auth.UserLocked", "auth.UserUnlocked"):
            changes["locked"] = event.type == "auth.UserLocked"
        elif event.type in ("auth.UserAdminGranted", "auth.UserAdminRevoked"):
            changes["is_admin"] = event.type == "auth.UserAdminGranted"
        assignments: list[sql.Composable] = [
            sql.SQL("{} = %s").format(sql.Identifier(k)) for k in changes
        ]
        params: list[Any] = list(changes.values())
        if event.type == "auth.UserPreferencesUpdated":
            assignments.append(sql.SQL("preferences = preferences || %s::jsonb"))
            prefs = dict(p["changes"])
            for key in NUMERIC_PREFERENCES & prefs.keys():
                if prefs[key] is not None:  # decimals travel as strings; the app reads numbers
                    prefs[key] = Decimal(str(prefs[key]))
            params.append(jsonutil.dumps(prefs).decode())
        await conn.execute(
            sql.SQL("UPDATE {} SET {} WHERE id = %s").format(
                users, sql.SQL(", ").join(assignments)
            ),
            [*params, uid],
        )

    async def _onboarded(self, conn: AsyncConnection[DictRow], event: EventEnvelope) -> None:
        """The user went through onboarding (the budget's event)."""
        user = event.payload["user_id"]
        await conn.execute(
            sql.SQL(
                "INSERT INTO {} (user_id, at) VALUES (%s, %s) ON CONFLICT (user_id) DO NOTHING"
            ).format(self.table("onboarded")),
            (user, event.occurred_at),
        )
        await conn.execute(
            sql.SQL("UPDATE {} SET has_onboarded = true WHERE id = %s").format(self.table("users")),
            (user,),
        )
