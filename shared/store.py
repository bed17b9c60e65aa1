"""Write side: eventsourcing applications on Postgres, one schema per service."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from collections.abc import Mapping
from typing import Any, ClassVar

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    JSONTranscoder,
    Mapper,
    Recording,
    StoredEvent,
    Transcoder,
    Transcoding,
)
from eventsourcing.utils import Environment, resolve_topic

from shared import context
from shared.atrest import CIPHER_TOPIC, AtRestCipher, open_state
from shared.crypto import SEALED, Sealer, owner_of
from shared.db import (
    WRITE_POOL_OVERFLOW,
    WRITE_POOL_SIZE,
    ensure_schema_sync,
    eventsourcing_env,
)
from shared.envelope import BASE_FIELDS, EventEnvelope, event_id_for, registry
from shared.metrics import process_metrics
from shared.settings import MitaSettings
from shared.tracing import appending


class DateAsISO(Transcoding):
    """Store ``datetime.date`` values as ISO strings."""

    type = dt.date
    name = "date_iso"

    def encode(self, obj: dt.date) -> str:
        """Encode a date."""
        return obj.isoformat()

    def decode(self, data: str) -> dt.date:
        """Decode a date."""
        return dt.date.fromisoformat(data)


def _uuid_in(value: Any) -> Any:
    """A transcoded uuid's value (``{"_type_": "uuid_hex", "_data_": …}``), else the value."""
    if isinstance(value, dict) and value.get("_type_") == "uuid_hex":
        return value.get("_data_")
    return value


class MetaMapper(Mapper[uuid.UUID]):
    """Mapper that stores the current event context (``__meta__``) with each event, and
    seals the personal fields of events that declare them (``shared.crypto``), then
    encrypts the whole state at rest when given a cipher (``shared.atrest``)."""

    def __init__(
        self,
        *,
        transcoder: Transcoder,
        sealer: Sealer | None = None,
        at_rest: AtRestCipher | None = None,
    ) -> None:
        # The cipher is applied here, not by the base class: sealing needs the plaintext.
        super().__init__(transcoder=transcoder)
        self.sealer = sealer
        self.at_rest = at_rest

    def to_stored_event(self, domain_event: DomainEventProtocol[uuid.UUID]) -> StoredEvent:
        """Add correlation/causation/trace metadata unless the event already has it."""
        if "__meta__" not in vars(domain_event):
            object.__setattr__(domain_event, "__meta__", context.current().as_meta())
        stored = self._sealed(super().to_stored_event(domain_event), type(domain_event))
        if self.at_rest is None:
            return stored
        return dataclasses.replace(stored, state=self.at_rest.encrypt(stored.state))

    def _sealed(self, stored: StoredEvent, cls: type[Any]) -> StoredEvent:
        fields = getattr(cls, "personal_fields", ())
        if self.sealer is None or not fields:
            return stored
        state = json.loads(stored.state)
        owner = owner_of(_uuid_in(state.get("user_id")), stored.originator_id)
        if owner is None:
            return stored
        self.sealer.seal_state(fields, owner, state)
        return dataclasses.replace(stored, state=json.dumps(state).encode())

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[uuid.UUID]:
        """Decrypt, then open sealed personal fields (``None`` once the key is shredded)."""
        stored_event = dataclasses.replace(stored_event, state=open_state(stored_event.state))
        if self.sealer is not None and SEALED.encode() in stored_event.state:
            fields = getattr(resolve_topic(stored_event.topic), "personal_fields", ())
            state = json.loads(stored_event.state)
            owner = owner_of(_uuid_in(state.get("user_id")), stored_event.originator_id)
            if fields and owner is not None:
                self.sealer.open_state(fields, owner, state)
                stored_event = dataclasses.replace(stored_event, state=json.dumps(state).encode())
        return super().to_domain_event(stored_event)


def make_transcoder() -> Transcoder:
    """JSON transcoder with the types MITA events use (UUID, Decimal, datetime, date)."""
    from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, UUIDAsHex

    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), DateAsISO()):
        transcoder.register(transcoding)
    return transcoder


def make_mapper() -> MetaMapper:
    """Mapper used by applications, the relay and rebuilds alike."""
    return MetaMapper(transcoder=make_transcoder())


KEYS_SCHEMA_ENV = "MITA_KEYS_SCHEMA"
MASTER_SECRET_ENV = "MITA_MASTER_SECRET"  # noqa: S105 - the name of an env entry


class MitaApplication(Application[uuid.UUID]):
    """Base of every service's write model; ``service`` names its schema and topic."""

    service: ClassVar[str] = ""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        super().__init__(dict(env) if env is not None else None)

    @classmethod
    def for_database(
        cls,
        database_url: str,
        schema: str,
        *,
        pool_size: int = WRITE_POOL_SIZE,
        max_overflow: int = WRITE_POOL_OVERFLOW,
        keys: tuple[str, str] | None = None,
        cipher_keys: tuple[str, ...] = (),
    ) -> MitaApplication:
        """Construct the application on a Postgres URL and schema (write pool sized);
        ``keys`` (schema, master secret) seals personal fields (``shared.crypto``);
        ``cipher_keys`` (current first, then old ones) encrypt states at rest."""
        ensure_schema_sync(database_url, schema)
        env = eventsourcing_env(
            database_url, schema, cls.name, pool_size=pool_size, max_overflow=max_overflow
        )
        if keys is not None:
            env[KEYS_SCHEMA_ENV], env[MASTER_SECRET_ENV] = keys
        if cipher_keys and cipher_keys[0]:
            env["CIPHER_TOPIC"], env["CIPHER_KEY"] = CIPHER_TOPIC, cipher_keys[0]
            env["CIPHER_OLD_KEYS"] = ",".join(cipher_keys[1:])
        return cls(env)

    @classmethod
    def from_settings(cls, settings: MitaSettings) -> MitaApplication:
        """The application on the settings' database, schema and write-pool size."""
        return cls.for_database(
            settings.database_url,
            settings.schema_for(cls.service),
            pool_size=settings.db_write_pool_size,
            max_overflow=settings.db_write_pool_overflow,
            keys=(settings.keys_schema(), settings.master_secret()),
            cipher_keys=settings.cipher_keys(),
        )

    def construct_mapper(self) -> Mapper[uuid.UUID]:
        """Use the metadata-carrying mapper, sealing personal fields when the application
        was given the keys' schema and the master secret (``for_database``)."""
        keys_schema, secret = self.env.get(KEYS_SCHEMA_ENV), self.env.get(MASTER_SECRET_ENV)
        at_rest = (
            AtRestCipher(Environment(self.name, self.env)) if self.env.get("CIPHER_KEY") else None
        )
        sealer: Sealer | None = None
        if keys_schema and secret:
            datastore = self.factory.datastore  # type: ignore[attr-defined]
            sealer = Sealer(keys_schema, secret, lambda: datastore.transaction(commit=True))
        return MetaMapper(transcoder=make_transcoder(), sealer=sealer, at_rest=at_rest)

    def _record(self, processing_event: ProcessingEvent[uuid.UUID]) -> list[Recording[uuid.UUID]]:
        """Record the events, counting them (``mita_events_appended_total``)."""
        with appending(self.service or self.name):
            recordings = super()._record(processing_event)
        process_metrics().appended.labels(self.service or self.name).inc(len(recordings))
        return recordings

    def head_position(self) -> int:
        """Highest notification id stored (0 when empty)."""
        return int(self.recorder.max_notification_id() or 0)


def _dashed(hex32: str) -> str:
    """Canonical text of a uuid stored as 32 hex digits (the relay's hot path)."""
    if len(hex32) != 32:
        return str(uuid.UUID(hex32))
    return f"{hex32[:8]}-{hex32[8:12]}-{hex32[12:16]}-{hex32[16:20]}-{hex32[20:]}".lower()


def _plain(value: Any) -> Any:
    """Turn transcoded values into their JSON form (Decimal and dates stay exact strings)."""
    kind = type(value)
    if kind is dict:
        tag = value.get("_type_")
        if tag is not None and len(value) == 2 and "_data_" in value:
            return _dashed(value["_data_"]) if tag == "uuid_hex" else value["_data_"]
        return {k: _plain(v) for k, v in value.items()}
    if kind is list:
        return [_plain(v) for v in value]
    return value


def _as_uuid(value: Any) -> uuid.UUID | None:
    """A user id as UUID; anything else (e.g. a system actor) publishes as no user."""
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def event_state(stored: StoredEvent) -> tuple[type[Any], dict[str, Any]]:
    """Decode a stored event's state to JSON-form values, upcast to its class version.

    Faster than building the domain object, and the result is exactly what consumers see
    after the envelope's JSON round trip through the broker. Upcasters therefore must only
    add, rename or default fields (they also run on the write model's typed values).
    """
    cls = resolve_topic(stored.topic)
    raw = json.loads(open_state(stored.state))
    state: dict[str, Any] = {k: _plain(v) for k, v in raw.items()}
    version = int(getattr(cls, "class_version", 1))
    current = int(state.pop("class_version", 1))
    while current < version:
        getattr(cls, f"upcast_v{current}_v{current + 1}")(state)
        current += 1
    return cls, state


def to_envelope(service: str, position: int, stored: StoredEvent) -> EventEnvelope:
    """Decode one stored event (upcasting it) into the public envelope."""
    cls, state = event_state(stored)
    meta: dict[str, Any] = state.get("__meta__") or {}
    payload = {k: v for k, v in state.items() if k not in BASE_FIELDS}
    user_id = _as_uuid(meta.get("user_id")) or _as_uuid(payload.get("user_id"))
    originator_id = (
        stored.originator_id
        if isinstance(stored.originator_id, uuid.UUID)
        else uuid.UUID(str(stored.originator_id))
    )
    return EventEnvelope(
        event_id=event_id_for(originator_id, stored.originator_version),
        type=registry.name_of(service, cls),
        schema_version=int(getattr(cls, "class_version", 1)),
        service=service,
        aggregate_id=originator_id,
        aggregate_version=stored.originator_version,
        user_id=user_id,
        occurred_at=state.get("timestamp") or dt.datetime.now(dt.UTC),
        position=position,
        correlation_id=meta.get("correlation_id"),
        causation_id=meta.get("causation_id"),
        trace_context=meta.get("trace_context") or {},
        payload=payload,
    )
