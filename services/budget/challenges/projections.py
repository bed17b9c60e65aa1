"""``budget_challenges``: every attempt at a challenge (window, cap, when it was left) and the
display name each participant goes by on the leaderboard, rebuilt from the challenge events and
auth's user events."""

from __future__ import annotations

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from contracts.auth import USER_DELETED, USER_PROFILE_UPDATED, USER_REGISTERED
from contracts.challenges import (
    CHALLENGE_COMPLETED,
    CHALLENGE_JOINED,
    CHALLENGE_LEFT,
    CHALLENGE_OPENED,
)
from shared.envelope import EventEnvelope
from shared.profiles import fold_profile
from shared.projections import TablesProjection

TABLES = {
    "challenge_attempts": (
        "user_id uuid NOT NULL, challenge_id text NOT NULL, attempt int NOT NULL, "
        "start_day date NOT NULL, end_day date NOT NULL, cap numeric(14,2), "
        "joined_at timestamptz NOT NULL, left_day date, completed_on date, "
        "PRIMARY KEY (user_id, challenge_id, attempt)"
    ),
    "challenge_users": "user_id uuid PRIMARY KEY, version bigint NOT NULL, name text",
}


class ChallengesProjection(TablesProjection):
    """Attempts and participants' names."""

    name = "budget_challenges"
    sources = ("budget", "auth")
    handles = frozenset(
        {CHALLENGE_OPENED, CHALLENGE_JOINED, CHALLENGE_LEFT, CHALLENGE_COMPLETED, USER_REGISTERED,
         USER_PROFILE_UPDATED, USER_DELETED}
    )  # fmt: skip

    tables = TABLES
    indexes = {"budget_challenges_by": ("challenge_attempts", "challenge_id")}

    async def apply(self, conn: AsyncConnection[DictRow], event: EventEnvelope) -> None:
        """Fold one event (a redelivered one changes nothing)."""
        p, attempts = event.payload, self.table("challenge_attempts")
        if event.service == "auth":
            await fold_profile(conn, self.table("challenge_users"), event, ("name",))
            if event.type == USER_DELETED:
                await conn.execute(
                    sql.SQL("DELETE FROM {} WHERE user_id = %s").format(attempts),
                    (event.aggregate_id,),
                )
        elif event.type == CHALLENGE_JOINED:
            await conn.execute(
                sql.SQL(
                    "INSERT INTO {} (user_id, challenge_id, attempt, start_day, end_day, cap, "
                    "joined_at) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
                ).format(attempts),
                (p["user_id"], p["challenge_id"], p["attempt"], p["start_day"], p["end_day"],
                 p["cap"], p["at"]),
            )  # fmt: skip
        elif event.type == CHALLENGE_COMPLETED:
            await conn.execute(
                sql.SQL(
                    "UPDATE {} SET completed_on = %s WHERE user_id = %s AND challenge_id = %s "
                    "AND attempt = %s"
                ).format(attempts),
                (p["day"], p["user_id"], p["challenge_id"], p["attempt"]),
            )
        elif event.type == CHALLENGE_LEFT:
            await conn.execute(
                sql.SQL(
                    "UPDATE {} SET left_day = %s WHERE user_id = %s AND challenge_id = %s "
                    "AND attempt = %s"
                ).format(attempts),
                (p["day"], p["user_id"], p["challenge_id"], p["attempt"]),
            )
