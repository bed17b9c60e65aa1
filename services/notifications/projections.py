"""``notifications_inbox``: the notifications as the app lists them (status, read state, push
outcome), each user's devices and preferences, the recorded push outbox, and each user's
timezone (from auth), rebuilt from the notifications and auth stores."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

from contracts import notifications as n
from contracts.auth import USER_DELETED, USER_PROFILE_UPDATED, USER_REGISTERED
from shared.envelope import EventEnvelope
from shared.profiles import fold_profile
from shared.projections import TablesProjection

TABLES = {
    "notifications": (
        "id uuid PRIMARY KEY, user_id uuid NOT NULL, kind text NOT NULL, title text NOT NULL, "
        "message text NOT NULL, priority text NOT NULL, category text NOT NULL, "
        "data jsonb NOT NULL, action_url text, status text NOT NULL, channel text, "
        "is_read boolean NOT NULL DEFAULT false, read_at timestamptz, sent_at timestamptz, "
        "error_message text, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, "
        "deleted boolean NOT NULL DEFAULT false"
    ),
    "devices": (
        "user_id uuid NOT NULL, push_token text NOT NULL, platform text NOT NULL, "
        "device_id text, app_version text, registered_at timestamptz NOT NULL, "
        "PRIMARY KEY (user_id, push_token)"
    ),
    "preferences": "user_id uuid PRIMARY KEY, choices jsonb NOT NULL",
    "push_outbox": (
        "notification_id uuid PRIMARY KEY, user_id uuid NOT NULL, tokens jsonb NOT NULL, "
        "title text NOT NULL, message text NOT NULL, at timestamptz NOT NULL"
    ),
    "notification_users": "user_id uuid PRIMARY KEY, version bigint NOT NULL, timezone text",
}


class InboxProjection(TablesProjection):
    """Notifications, devices, preferences, the outbox and the users' zones."""

    name = "notifications_inbox"
    sources = ("notifications", "auth")
    handles = (
        n.NOTIFICATION_EVENTS | n.DEVICE_EVENTS
        | {n.PREFERENCES_CHANGED, USER_REGISTERED, USER_PROFILE_UPDATED, USER_DELETED}
    )  # fmt: skip

    tables = TABLES
    indexes = {"notifications_inbox_user": ("notifications", "user_id, created_at DESC")}

    async def _run(
        self, conn: AsyncConnection[DictRow], statement: str, table: str, params: tuple[Any, ...]
    ) -> None:
        query = sql.SQL(statement).format(self.table(table))
        await conn.execute(query, params)

    async def apply(self, conn: AsyncConnection[DictRow], event: EventEnvelope) -> None:
        """Fold one event (a redelivered one changes nothing)."""
        p, at, aid = event.payload, event.payload.get("at"), event.aggregate_id
        if event.service == "auth":
            await fold_profile(conn, self.table("notification_users"), event, ("timezone",))
            if event.type == USER_DELETED:
                for name in ("notifications", "devices", "preferences", "push_outbox"):
                    await self._run(conn, "DELETE FROM {} WHERE user_id = %s", name, (aid,))
        elif event.type == n.NOTIFICATION_CREATED:
            await self._run(
                conn,
                "INSERT INTO {} (id, user_id, kind, title, message, priority, category, data, "
                "action_url, status, created_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s, "
                "%s, %s, %s, 'pending', %s, %s) ON CONFLICT (id) DO NOTHING",
                "notifications",
                (aid, p["user_id"], p["kind"], p["title"], p["message"], p["priority"],
                 p["category"], Jsonb(p["data"]), p["action_url"], at, at),
            )  # fmt: skip
        elif event.type == n.NOTIFICATION_READ:
            await self._run(
                conn,
                "UPDATE {} SET is_read = true, read_at = %s, status = 'read', updated_at = %s "
                "WHERE id = %s",
                "notifications",
                (at, at, aid),
            )
        elif event.type == n.NOTIFICATION_DELETED:
            await self._run(conn, "UPDATE {} SET deleted = true, updated_at = %s WHERE id = %s",
                            "notifications", (at, aid))  # fmt: skip
        elif event.type in (n.PUSH_SENT, n.PUSH_SKIPPED, n.PUSH_FAILED):
            await self._pushed(conn, event)
        elif event.type == n.PREFERENCES_CHANGED:
            await self._run(
                conn,
                "INSERT INTO {} AS t (user_id, choices) VALUES (%s, %s) ON CONFLICT (user_id) "
                "DO UPDATE SET choices = t.choices || EXCLUDED.choices",
                "preferences", (p["user_id"], Jsonb(p["changes"])),
            )  # fmt: skip
        else:
            await self._device(conn, event)

    async def _pushed(self, conn: AsyncConnection[DictRow], event: EventEnvelope) -> None:
        p, at, aid = event.payload, event.payload["at"], event.aggregate_id
        if event.type == n.PUSH_SENT:
            status, channel, error = "sent", p["channel"], None
        elif event.type == n.PUSH_SKIPPED:
            status, channel, error = "delivered", "in_app", None
        else:
            status, channel, error = "failed", "push", p["reason"]
        await self._run(
            conn,
            "UPDATE {} SET status = CASE WHEN is_read THEN status ELSE %s END, channel = %s, "
            "sent_at = CASE WHEN %s THEN %s::timestamptz END, error_message = %s, "
            "updated_at = %s WHERE id = %s",
            "notifications", (status, channel, status == "sent", at, error, at, aid),
        )  # fmt: skip
        if event.type == n.PUSH_SENT and p["channel"] == "outbox":
            await conn.execute(
                sql.SQL(
                    "INSERT INTO {o} (notification_id, user_id, tokens, title, message, at) "
                    "SELECT id, user_id, %s, title, message, %s FROM {n} WHERE id = %s "
                    "ON CONFLICT DO NOTHING"
                ).format(o=self.table("push_outbox"), n=self.table("notifications")),
                (Jsonb(p["tokens"]), at, aid),
            )

    async def _device(self, conn: AsyncConnection[DictRow], event: EventEnvelope) -> None:
        p, at = event.payload, event.payload["at"]
        user = p["user_id"]
        gone = p.get("old_push_token") if event.type == n.DEVICE_TOKEN_REPLACED else (
            p.get("push_token") if event.type != n.DEVICE_REGISTERED else None
        )  # fmt: skip
        if gone is not None:
            await self._run(conn, "DELETE FROM {} WHERE user_id = %s AND push_token = %s",
                            "devices", (user, gone))  # fmt: skip
        token = p.get("new_push_token") if event.type == n.DEVICE_TOKEN_REPLACED else (
            p.get("push_token") if event.type == n.DEVICE_REGISTERED else None
        )  # fmt: skip
        if token is not None:
            await self._run(
                conn,
                "INSERT INTO {} (user_id, push_token, platform, device_id, app_version, "
                "registered_at) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (user_id, push_token) "
                "DO UPDATE SET platform = EXCLUDED.platform",
                "devices",
                (user, token, p["platform"], p.get("device_id"), p.get("app_version"), at),
            )
