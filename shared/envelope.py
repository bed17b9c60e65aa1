"""The event envelope published to Kafka and the registry of event types."""

from __future__ import annotations

import dataclasses
import typing
import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, create_model

# Fields every eventsourcing event carries; they live in the envelope, not the payload.
BASE_FIELDS = frozenset(
    {"originator_id", "originator_version", "timestamp", "originator_topic", "__meta__"}
)
EVENT_ID_NAMESPACE = uuid.UUID("6f1c8f1e-4a47-4bd5-9a36-0c8f7a1d2b10")


def event_id_for(aggregate_id: uuid.UUID, version: int) -> uuid.UUID:
    """Deterministic event id, so a re-published event keeps its identity."""
    return uuid.uuid5(EVENT_ID_NAMESPACE, f"{aggregate_id}:{version}")


class EventEnvelope(BaseModel):
    """One stored domain event as carried on the bus (JSON; money as strings)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: uuid.UUID
    type: str = Field(pattern=r"^[a-z]+\.[A-Za-z0-9]+$")
    schema_version: int = Field(ge=1)
    service: str
    aggregate_id: uuid.UUID
    aggregate_version: int = Field(ge=1)
    user_id: uuid.UUID | None = None
    occurred_at: datetime
    position: int = Field(ge=1, description="notification id in the source service's store")
    correlation_id: str | None = None
    causation_id: str | None = None
    trace_context: dict[str, str] = Field(default_factory=dict)
    payload: dict[str, Any]

    def to_bytes(self) -> bytes:
        """Serialise for the broker."""
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> EventEnvelope:
        """Parse a broker message value."""
        return cls.model_validate_json(raw)


@dataclasses.dataclass(frozen=True)
class EventType:
    """A registered event class and its public name."""

    name: str
    service: str
    cls: type[Any]

    @property
    def version(self) -> int:
        """Current schema version (the eventsourcing ``class_version``)."""
        return int(getattr(self.cls, "class_version", 1))

    def payload_fields(self) -> dict[str, Any]:
        """Annotated payload fields of the event class."""
        hints = typing.get_type_hints(self.cls)
        return {
            f.name: hints.get(f.name, Any)
            for f in dataclasses.fields(self.cls)
            if f.name not in BASE_FIELDS
        }

    def json_schema(self) -> dict[str, Any]:
        """JSON Schema of the payload of this event type."""
        fields: dict[str, Any] = {name: (tp, ...) for name, tp in self.payload_fields().items()}
        model = create_model(self.name.replace(".", "_"), **fields)
        # Serialization mode: the wire form (money is a string, never a number).
        schema: dict[str, Any] = TypeAdapter(model).json_schema(mode="serialization")
        schema["title"] = self.name
        schema["x-schema-version"] = self.version
        return schema


def _created(aggregate: type[Any]) -> tuple[type[Any], ...]:
    """The library's creation-event base of an aggregate, if it has one."""
    created = getattr(aggregate, "Created", None)
    return (created,) if isinstance(created, type) else ()


class EventRegistry:
    """Maps event classes to public type names (``ledger.TransactionRecorded``)."""

    def __init__(self) -> None:
        self._by_cls: dict[type[Any], EventType] = {}
        self._by_name: dict[str, EventType] = {}

    def register(self, service: str, cls: type[Any], name: str | None = None) -> EventType:
        """Register one event class under ``service``."""
        public = name or f"{service}.{cls.__qualname__.replace('.', '')}"
        existing = self._by_name.get(public)
        if existing is not None and existing.cls is not cls:
            raise ValueError(f"event type {public} registered twice")
        entry = EventType(public, service, cls)
        self._by_cls[cls] = entry
        self._by_name[public] = entry
        return entry

    def register_aggregate(
        self, service: str, aggregate: type[Any], *, short_names: bool = False
    ) -> list[EventType]:
        """Register every event class nested in an aggregate class.

        Names are ``<service>.<Aggregate><Event>`` (``ledger.TransactionRecorded``), or with
        ``short_names`` ``<service>.<Event>`` (``budget.BudgetPlanned``) for aggregates whose
        event names already say what they are about.
        """
        out = []
        for key, member in vars(aggregate).items():
            # "Event" and "Created" are the bases the library generates for every aggregate.
            if key in {"Event", "Created"} or not isinstance(member, type):
                continue
            if not issubclass(member, (getattr(aggregate, "Event", ()), *_created(aggregate))):
                continue
            out.append(self.register(service, member, f"{service}.{key}" if short_names else None))
        return out

    def name_of(self, service: str, cls: type[Any]) -> str:
        """Public name of an event class (derived when it was never registered)."""
        entry = self._by_cls.get(cls)
        return entry.name if entry else f"{service}.{cls.__qualname__.replace('.', '')}"

    def get(self, name: str) -> EventType:
        """Look up a registered type by public name."""
        return self._by_name[name]

    def all(self) -> list[EventType]:
        """Every registered type, sorted by name."""
        return sorted(self._by_name.values(), key=lambda e: e.name)

    def schemas(self) -> dict[str, dict[str, Any]]:
        """JSON Schemas of every registered type, keyed by name."""
        return {e.name: e.json_schema() for e in self.all()}


registry = EventRegistry()


def envelope_json_schema() -> dict[str, Any]:
    """JSON Schema of the envelope itself."""
    return EventEnvelope.model_json_schema()
