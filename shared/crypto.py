"""Crypto-shredding: the personal fields of events are sealed with a per-user data key.

An event class names its personal fields in ``personal_fields`` (dotted paths for values
inside a dict field, e.g. ``profile.name``); its owner is its ``user_id`` field, else its
aggregate (a user's own account). The write model's mapper seals those values (AES-GCM, the
user id as associated data) before storing, so the store, the topics and every copy hold only
``enc:v1:…`` tokens; readers open them with the user's key. Data keys live in Postgres
(``<prefix>keys.data_keys``), each wrapped by a key derived from the master secret. Deleting
an account deletes its key: the tokens can never be opened again, anywhere — events, Kafka
copies, exports, rebuilt read models — while amounts, dates and ids still replay. Opened
without a key, a personal value reads as ``ERASED`` (personal fields are text).
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from psycopg import AsyncConnection, sql
from psycopg.pq import TransactionStatus
from psycopg.rows import DictRow

from shared.envelope import EventEnvelope, registry
from shared.metrics import process_metrics

if TYPE_CHECKING:
    from shared.settings import MitaSettings

SEALED = "enc:v1:"
#: How long a process trusts a cached key (a key shredded elsewhere stops opening within it).
KEY_TTL_SECONDS = 30.0
NONCE = 12
#: What a personal value reads as once its owner's key is shredded.
ERASED = ""


def kek_of(master_secret: str) -> bytes:
    """The key-encryption key derived from the master secret (HKDF-SHA256)."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"mita data keys", info=b"kek v1"
    ).derive(master_secret.encode())


def wrap(kek: bytes, user: uuid.UUID, key: bytes) -> bytes:
    """A data key wrapped for storage."""
    nonce = os.urandom(NONCE)
    return nonce + AESGCM(kek).encrypt(nonce, key, user.bytes)


def unwrap(kek: bytes, user: uuid.UUID, wrapped: bytes) -> bytes:
    """A stored data key, unwrapped (``InvalidTag`` under another master secret)."""
    return AESGCM(kek).decrypt(wrapped[:NONCE], wrapped[NONCE:], user.bytes)


def seal(key: bytes, user: uuid.UUID, value: Any) -> str:
    """One personal value as a token."""
    nonce = os.urandom(NONCE)
    sealed = AESGCM(key).encrypt(nonce, json.dumps(value).encode(), user.bytes)
    return SEALED + base64.urlsafe_b64encode(nonce + sealed).decode()


def is_token(value: Any) -> bool:
    """Whether a value is a sealed token."""
    return isinstance(value, str) and value.startswith(SEALED)


def unseal(key: bytes | None, user: uuid.UUID, value: Any) -> Any:
    """A token's value (``ERASED`` without a key: shredded); other values as they are."""
    if not is_token(value):
        return value
    if key is None:
        return ERASED
    raw = base64.urlsafe_b64decode(value[len(SEALED) :])
    return json.loads(AESGCM(key).decrypt(raw[:NONCE], raw[NONCE:], user.bytes))


def keys_table(schema: str) -> sql.Composed:
    """The table of wrapped data keys."""
    return sql.SQL("{}.data_keys").format(sql.Identifier(schema))


DDL = (
    "CREATE TABLE IF NOT EXISTS {} (user_id uuid PRIMARY KEY, wrapped bytea, "
    "created_at timestamptz NOT NULL DEFAULT now(), shredded_at timestamptz)"
)


def owner_of(personal_owner: Any, aggregate_id: Any) -> uuid.UUID | None:
    """Whose key seals an event: its ``user_id``, else its aggregate's id."""
    for value in (personal_owner, aggregate_id):
        try:
            return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
        except (TypeError, ValueError):
            continue
    return None


def paths(fields: Iterable[str]) -> list[tuple[str, ...]]:
    """Dotted field names as paths."""
    return [tuple(name.split(".")) for name in fields]


def transform(state: dict[str, Any], path: tuple[str, ...], fn: Callable[[Any], Any]) -> None:
    """Replace the value at ``path`` (if present and not None) with ``fn(value)``, copying the
    dicts on the way so the caller's own values are never changed."""
    head, rest = path[0], path[1:]
    if head not in state or state[head] is None:
        return
    if not rest:
        state[head] = fn(state[head])
        return
    inner = state[head]
    if isinstance(inner, dict):
        state[head] = dict(inner)
        transform(state[head], rest, fn)


class _Cache:
    """User → (key or None, fetched at), trusted for ``KEY_TTL_SECONDS``."""

    def __init__(self) -> None:
        self.items: dict[uuid.UUID, tuple[bytes | None, float]] = {}

    def get(self, user: uuid.UUID) -> tuple[bool, bytes | None]:
        hit = self.items.get(user)
        fresh = hit is not None and time.monotonic() - hit[1] <= KEY_TTL_SECONDS
        process_metrics().cache_lookup("data_keys", fresh)
        if hit is None or not fresh:
            return False, None
        return True, hit[0]

    def put(self, user: uuid.UUID, key: bytes | None) -> None:
        self.items[user] = (key, time.monotonic())


Cursor = Callable[[], AbstractContextManager[Any]]


class Sealer:
    """The write model's side: creates a user's key on first use (sync, on the application's
    own pool) and seals and opens personal values."""

    def __init__(self, schema: str, master_secret: str, cursor: Cursor) -> None:
        self.schema = schema
        self.kek = kek_of(master_secret)
        self.cursor = cursor
        self.cache = _Cache()
        self._lock = threading.Lock()
        self._ready = False

    def _setup(self, cur: Any) -> None:
        if self._ready:
            return
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"keys:{self.schema}",))
        cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema)))
        cur.execute(sql.SQL(DDL).format(keys_table(self.schema)))
        self._ready = True

    def key(self, user: uuid.UUID, *, create: bool) -> bytes | None:
        """The user's data key (made on first use when ``create``); None once shredded."""
        found, key = self.cache.get(user)
        if found:
            return key
        with self._lock, self.cursor() as cur:
            self._setup(cur)
            if create:
                fresh = wrap(self.kek, user, AESGCM.generate_key(bit_length=256))
                cur.execute(
                    sql.SQL(
                        "INSERT INTO {} (user_id, wrapped) VALUES (%s, %s) "
                        "ON CONFLICT (user_id) DO NOTHING"
                    ).format(keys_table(self.schema)),
                    (user, fresh),
                )
            cur.execute(
                sql.SQL("SELECT wrapped FROM {} WHERE user_id = %s").format(
                    keys_table(self.schema)
                ),
                (user,),
            )
            row = cur.fetchone()
        wrapped = row["wrapped"] if row else None
        key = unwrap(self.kek, user, bytes(wrapped)) if wrapped is not None else None
        self.cache.put(user, key)
        return key

    def seal_state(self, fields: Iterable[str], user: uuid.UUID, state: dict[str, Any]) -> None:
        """Seal the personal values of one event's state in place (a shredded user's new
        personal values are erased)."""
        key = self.key(user, create=True)
        for path in paths(fields):
            transform(state, path, lambda v: seal(key, user, v) if key is not None else ERASED)

    def open_state(self, fields: Iterable[str], user: uuid.UUID, state: dict[str, Any]) -> None:
        """Open the personal values of one event's state in place."""
        wanted = paths(fields)
        if not any(is_token(_at(state, p)) for p in wanted):
            return
        key = self.key(user, create=False)
        for path in wanted:
            transform(state, path, lambda v: unseal(key, user, v))


def _at(state: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = state
    for part in path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


class KeyReader:
    """The read side's: opens tokens with keys read in batches on the caller's connection
    (outside any transaction block of the caller's)."""

    def __init__(self, schema: str, master_secret: str) -> None:
        self.schema = schema
        self.kek = kek_of(master_secret)
        self.cache = _Cache()
        self._ready = False

    @classmethod
    def from_settings(cls, settings: MitaSettings) -> KeyReader:
        """The deployment's key reader."""
        return cls(settings.keys_schema(), settings.master_secret())

    async def keys(
        self, conn: AsyncConnection[DictRow], users: Iterable[uuid.UUID]
    ) -> dict[uuid.UUID, bytes | None]:
        """The users' keys (None: shredded or never made), cached for a while."""
        out: dict[uuid.UUID, bytes | None] = {}
        missing: list[uuid.UUID] = []
        for user in set(users):
            found, key = self.cache.get(user)
            if found:
                out[user] = key
            else:
                missing.append(user)
        if missing:
            rows = await self._fetch(conn, missing)
            for user in missing:
                wrapped = rows.get(user)
                key = unwrap(self.kek, user, wrapped) if wrapped is not None else None
                self.cache.put(user, key)
                out[user] = key
        return out

    async def _fetch(
        self, conn: AsyncConnection[DictRow], users: list[uuid.UUID]
    ) -> dict[uuid.UUID, bytes | None]:
        idle = conn.info.transaction_status == TransactionStatus.IDLE
        if not self._ready and idle:
            async with conn.transaction():
                await ensure_keys_table(conn, self.schema)
            self._ready = True
        cur = await conn.execute(
            sql.SQL("SELECT user_id, wrapped FROM {} WHERE user_id = ANY(%s)").format(
                keys_table(self.schema)
            ),
            (users,),
        )
        found = {
            r["user_id"]: bytes(r["wrapped"]) if r["wrapped"] is not None else None
            for r in await cur.fetchall()
        }
        if idle:  # the read's own transaction ends; a caller's would go on
            await conn.commit()
        return found

    def forget(self, user: uuid.UUID) -> None:
        """Drop a cached key (this process shredded it)."""
        self.cache.put(user, None)


async def ensure_keys_table(conn: AsyncConnection[DictRow], schema: str) -> None:
    """Create the keys' schema and table inside the caller's transaction (idempotent)."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"keys:{schema}",))
    await conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
    await conn.execute(sql.SQL(DDL).format(keys_table(schema)))


async def shred(conn: AsyncConnection[DictRow], schema: str, user: uuid.UUID) -> bool:
    """Delete a user's data key inside the caller's transaction (a tombstone stays, so no new
    key is ever made for that account); return whether a key was there."""
    await ensure_keys_table(conn, schema)
    cur = await conn.execute(
        sql.SQL(
            "INSERT INTO {} AS k (user_id, wrapped, shredded_at) VALUES (%s, NULL, now()) "
            "ON CONFLICT (user_id) DO UPDATE SET wrapped = NULL, "
            "shredded_at = coalesce(k.shredded_at, now()) RETURNING (xmax <> 0) AS existed"
        ).format(keys_table(schema)),
        (user,),
    )
    row = await cur.fetchone()
    return bool(row and row["existed"])


def iter_tokens(state: dict[str, Any], fields: Iterable[str]) -> Iterator[tuple[str, ...]]:
    """The paths of ``fields`` that hold tokens in ``state``."""
    for path in paths(fields):
        if is_token(_at(state, path)):
            yield path


def _opener(key: bytes | None, user: uuid.UUID) -> Callable[[Any], Any]:
    """Open one value with a user's key (bound once per event)."""
    return lambda value: unseal(key, user, value)


def personal_fields(event_type: str) -> tuple[str, ...]:
    """The personal fields an event type declares (none for an unknown type)."""
    try:
        cls = registry.get(event_type).cls
    except KeyError:
        return ()
    return tuple(getattr(cls, "personal_fields", ()))


async def reveal(
    conn: AsyncConnection[DictRow], reader: KeyReader | None, events: list[EventEnvelope]
) -> list[EventEnvelope]:
    """The events with their sealed personal fields opened (``None`` where the owner's key
    is shredded); events without tokens come back as they are."""
    if reader is None:
        return events
    sealed: list[tuple[int, uuid.UUID, tuple[str, ...]]] = []
    for i, event in enumerate(events):
        fields = personal_fields(event.type)
        if fields and any(True for _ in iter_tokens(event.payload, fields)):
            owner = owner_of(event.payload.get("user_id"), event.aggregate_id)
            if owner is not None:
                sealed.append((i, owner, fields))
    if not sealed:
        return events
    keys = await reader.keys(conn, [owner for _, owner, _ in sealed])
    out = list(events)
    for i, owner, fields in sealed:
        payload = dict(out[i].payload)
        opener = _opener(keys.get(owner), owner)
        for path in paths(fields):
            transform(payload, path, opener)
        out[i] = out[i].model_copy(update={"payload": payload})
    return out


async def reveal_columns(
    conn: AsyncConnection[DictRow], projection: Any, reader: KeyReader, batch: int = 1000
) -> int:
    """Open the tokens an in-database fold copied into a read model's text columns
    (``personal_columns``: table → columns, rows keyed by ``id`` with a ``user_id``); return
    how many rows were opened."""
    columns: dict[str, tuple[str, ...]] = getattr(projection, "personal_columns", {})
    opened = 0
    for table, names in columns.items():
        ident = projection.table(table)
        cols = sql.SQL(", ").join(sql.Identifier(n) for n in names)
        sealed = sql.SQL(" OR ").join(
            sql.SQL("{} LIKE 'enc:v1:%%'").format(sql.Identifier(n)) for n in names
        )
        sets = sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(n)) for n in names)
        after = uuid.UUID(int=0)
        while True:
            cur = await conn.execute(
                sql.SQL(
                    "SELECT id, user_id, {} FROM {} WHERE id > %s AND ({}) ORDER BY id LIMIT %s"
                ).format(cols, ident, sealed),
                (after, batch),
            )
            rows = await cur.fetchall()
            await conn.commit()
            if not rows:
                break
            keys = await reader.keys(conn, [r["user_id"] for r in rows])
            async with conn.transaction():
                for row in rows:
                    user = row["user_id"]
                    values = [unseal(keys.get(user), user, row[n]) for n in names]
                    await conn.execute(
                        sql.SQL("UPDATE {} SET {} WHERE id = %s").format(ident, sets),
                        (*values, row["id"]),
                    )
            opened += len(rows)
            after = rows[-1]["id"]
    return opened
