"""Crypto-shredding on account deletion: the deleted account's data key goes (shared.crypto),
in the same transaction as the event's tracking row, so it happens exactly once in effect."""

from __future__ import annotations

from psycopg import AsyncConnection
from psycopg.rows import DictRow

from contracts.auth import USER_DELETED
from shared.crypto import ensure_keys_table, shred
from shared.envelope import EventEnvelope
from shared.projections import Consumer


class KeyShredder(Consumer):
    """``auth_shredder``: deletes a deleted account's data key. Its effect is history (a
    rebuild has nothing to redo), so it is not rebuilt."""

    name = "auth_shredder"
    sources = ("auth",)
    handles = frozenset({USER_DELETED})
    rebuildable = False

    def __init__(self, schema: str, keys_schema: str) -> None:
        super().__init__(schema)
        self.keys_schema = keys_schema

    async def setup(self, conn: AsyncConnection[DictRow]) -> None:
        """The keys' table exists."""
        await ensure_keys_table(conn, self.keys_schema)

    async def drop(self, conn: AsyncConnection[DictRow]) -> None:
        """Nothing of its own to drop (the keys are not this consumer's to rebuild)."""

    async def apply(self, conn: AsyncConnection[DictRow], event: EventEnvelope) -> None:
        """Delete the account's key."""
        await shred(conn, self.keys_schema, event.aggregate_id)
