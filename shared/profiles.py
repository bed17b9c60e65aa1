"""Folding auth's user events into a context's own users table: what several read models
keep of a profile (each its own columns), newer versions only."""

from __future__ import annotations

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from contracts.auth import USER_DELETED, USER_REGISTERED
from shared.envelope import EventEnvelope


async def fold_profile(
    conn: AsyncConnection[DictRow],
    table: sql.Composed,
    event: EventEnvelope,
    fields: tuple[str, ...],
) -> None:
    """Apply one ``auth.User*`` event to ``table (user_id, version, *fields)``: registration
    and profile changes upsert the given ``fields`` (an older version never overwrites), a
    deleted account's row goes."""
    if event.type == USER_DELETED:
        await conn.execute(
            sql.SQL("DELETE FROM {} WHERE user_id = %s").format(table), (event.aggregate_id,)
        )
        return
    given = event.payload.get("profile" if event.type == USER_REGISTERED else "changes") or {}
    changes = {k: v for k, v in given.items() if k in fields}
    columns = ["user_id", "version", *changes]
    updates = [sql.SQL("version = EXCLUDED.version")] + [
        sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(k)) for k in changes
    ]
    await conn.execute(
        sql.SQL(
            "INSERT INTO {} AS u ({}) VALUES ({}) ON CONFLICT (user_id) DO UPDATE SET {} "
            "WHERE u.version < EXCLUDED.version"
        ).format(
            table,
            sql.SQL(", ").join(map(sql.Identifier, columns)),
            sql.SQL(", ").join(sql.Placeholder() * len(columns)),
            sql.SQL(", ").join(updates),
        ),
        [event.aggregate_id, event.aggregate_version, *changes.values()],
    )
