"""The event envelope and the registry of event types."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from decimal import Decimal
from typing import Any

import pytest
from eventsourcing.domain import Aggregate
from pydantic import ValidationError

import services.ledger.domain  # noqa: F401 - registers the ledger events
from contracts.goals import GOAL_CREATED, GOAL_EVENTS
from contracts.installment_plans import PLANNER_EVENTS
from services.ledger.domain import Transaction
from services.ledger.goals.domain import Goal
from shared.envelope import (
    BASE_FIELDS,
    EventEnvelope,
    EventRegistry,
    EventType,
    envelope_json_schema,
    registry,
)

LEDGER_EVENTS = {
    "ledger.TransactionRecorded",
    "ledger.TransactionAmended",
    "ledger.TransactionDeleted",
}


def envelope(**overrides: Any) -> EventEnvelope:
    """A valid envelope with any field overridden."""
    fields: dict[str, Any] = {
        "event_id": uuid.uuid4(),
        "type": "ledger.TransactionRecorded",
        "schema_version": 2,
        "service": "ledger",
        "aggregate_id": uuid.uuid4(),
        "aggregate_version": 1,
        "user_id": uuid.uuid4(),
        "occurred_at": dt.datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=dt.UTC),
        "position": 10,
        "correlation_id": "corr",
        "causation_id": "cause",
        "trace_context": {"traceparent": "00-abc-def-01"},
        "payload": {"amount": Decimal("19.99"), "nested": {"fee": Decimal("0.10")}, "n": 3},
    }
    fields.update(overrides)
    return EventEnvelope(**fields)


def test_round_trip_keeps_money_as_strings() -> None:
    env = envelope()
    raw = env.to_bytes()
    assert isinstance(raw, bytes)
    doc = json.loads(raw)
    assert doc["payload"]["amount"] == "19.99"
    assert doc["payload"]["nested"]["fee"] == "0.10"
    assert doc["payload"]["n"] == 3
    # A float would lose the cents' exactness; money never becomes a JSON number.
    assert b'"19.99"' in raw
    assert b":19.99" not in raw
    back = EventEnvelope.from_bytes(raw)
    assert back.event_id == env.event_id
    assert back.aggregate_id == env.aggregate_id
    assert back.user_id == env.user_id
    assert back.occurred_at == env.occurred_at
    assert back.trace_context == env.trace_context
    assert (back.correlation_id, back.causation_id) == ("corr", "cause")
    assert back.payload["amount"] == "19.99"
    assert Decimal(back.payload["amount"]) == Decimal("19.99")
    # A second round trip is a fixed point.
    assert EventEnvelope.from_bytes(back.to_bytes()) == back


def test_optional_fields_default() -> None:
    env = EventEnvelope(
        event_id=uuid.uuid4(),
        type="auth.UserRegistered",
        schema_version=1,
        service="auth",
        aggregate_id=uuid.uuid4(),
        aggregate_version=1,
        occurred_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        position=1,
        payload={},
    )
    assert env.user_id is None
    assert env.correlation_id is None
    assert env.causation_id is None
    assert env.trace_context == {}


@pytest.mark.parametrize(
    "bad_type",
    ["Ledger.TransactionRecorded", "ledger", "ledger.", ".Recorded", "ledger.Tx.Recorded",
     "ledger.Transaction_Recorded", "ledger-x.Recorded", "ledger 1.Recorded"],
)  # fmt: skip
def test_type_pattern_rejects(bad_type: str) -> None:
    with pytest.raises(ValidationError):
        envelope(type=bad_type)


@pytest.mark.parametrize("good_type", ["ledger.TransactionRecorded", "ocr.Receipt2Scanned"])
def test_type_pattern_accepts(good_type: str) -> None:
    assert envelope(type=good_type).type == good_type


@pytest.mark.parametrize(
    "field", ["schema_version", "aggregate_version", "position"]
)  # fmt: skip
def test_counters_start_at_one(field: str) -> None:
    with pytest.raises(ValidationError):
        envelope(**{field: 0})


def test_extra_fields_forbidden_and_frozen() -> None:
    with pytest.raises(ValidationError, match="extra"):
        envelope(surprise=1)
    raw = json.loads(envelope().to_bytes())
    raw["surprise"] = True
    with pytest.raises(ValidationError):
        EventEnvelope.from_bytes(json.dumps(raw).encode())
    env = envelope()
    with pytest.raises(ValidationError):
        env.position = 11


def test_global_registry_has_exactly_the_ledger_events() -> None:
    ledger = {e.name for e in registry.all() if e.service == "ledger"}
    assert ledger == {*LEDGER_EVENTS, *GOAL_EVENTS, *PLANNER_EVENTS, "ledger.IdempotencyKeyClaimed"}
    assert registry.get(GOAL_CREATED).cls is Goal.Created
    assert registry.get("ledger.TransactionRecorded").cls is Transaction.Recorded
    assert registry.get("ledger.TransactionAmended").cls is Transaction.Amended
    assert registry.get("ledger.TransactionDeleted").cls is Transaction.Deleted
    assert registry.name_of("ledger", Transaction.Recorded) == "ledger.TransactionRecorded"
    names = [e.name for e in registry.all()]
    assert names == sorted(names)


def test_register_aggregate_skips_library_bases() -> None:
    reg = EventRegistry()
    entries = reg.register_aggregate("ledger", Transaction)
    assert {e.name for e in entries} == LEDGER_EVENTS
    assert {e.name for e in reg.all()} == LEDGER_EVENTS
    assert all(e.service == "ledger" for e in entries)
    # The library's generated bases exist on the class but are not public types.
    assert isinstance(vars(Transaction).get("Event"), type)
    assert isinstance(vars(Transaction).get("Created"), type)
    assert Transaction.Event not in {e.cls for e in entries}
    # Registering the same classes again is idempotent.
    assert len(reg.register_aggregate("ledger", Transaction)) == 3
    assert len(reg.all()) == 3


class Account(Aggregate):
    """A throwaway aggregate for registry tests."""

    class Opened(Aggregate.Created):
        owner: str

    class Closed(Aggregate.Event):
        reason: str

    class NotAnEvent:
        """Nested helper that must not be registered."""

    def __init__(self, owner: str) -> None:
        self.owner = owner


def test_register_aggregate_only_event_subclasses() -> None:
    reg = EventRegistry()
    names = {e.name for e in reg.register_aggregate("bank", Account)}
    assert names == {"bank.AccountOpened", "bank.AccountClosed"}
    assert reg.register_aggregate("bank", object) == []


def test_register_and_duplicate_name() -> None:
    reg = EventRegistry()
    entry = reg.register("bank", Account.Opened)
    assert entry == EventType("bank.AccountOpened", "bank", Account.Opened)
    assert reg.register("bank", Account.Opened) == entry
    with pytest.raises(ValueError, match=r"bank\.AccountOpened registered twice"):
        reg.register("bank", Account.Closed, name="bank.AccountOpened")
    custom = reg.register("bank", Account.Closed, name="bank.Shut")
    assert reg.get("bank.Shut") is custom
    assert reg.name_of("bank", Account.Closed) == "bank.Shut"
    with pytest.raises(KeyError):
        reg.get("bank.Unknown")


def test_name_of_fallback_for_unregistered() -> None:
    reg = EventRegistry()
    assert reg.name_of("bank", Account.Closed) == "bank.AccountClosed"
    assert reg.name_of("x", Account) == "x.Account"
    assert reg.all() == []


def test_event_type_version_and_payload_fields() -> None:
    recorded = EventType("ledger.TransactionRecorded", "ledger", Transaction.Recorded)
    assert recorded.version == 5
    fields = recorded.payload_fields()
    assert set(fields) == {
        "user_id",
        "amount",
        "currency",
        "category",
        "spent_at",
        "description",
        "merchant",
        "location",
        "tags",
        "notes",
        "is_recurring",
        "goal_id",
        "confidence_score",
        "receipt_url",
    }
    assert fields["amount"] is Decimal
    assert not set(fields) & BASE_FIELDS
    assert EventType("bank.AccountClosed", "bank", Account.Closed).version == 1


def test_json_schema_of_ledger_events() -> None:
    schemas = EventRegistry()
    schemas.register_aggregate("ledger", Transaction)
    docs = schemas.schemas()
    assert set(docs) == LEDGER_EVENTS
    rec = docs["ledger.TransactionRecorded"]
    assert rec["title"] == "ledger.TransactionRecorded"
    assert rec["x-schema-version"] == 5
    assert rec["type"] == "object"
    assert set(rec["required"]) == set(rec["properties"])
    assert "merchant" in rec["properties"]
    assert rec["properties"]["user_id"]["format"] == "uuid"
    assert rec["properties"]["spent_at"]["format"] == "date-time"
    assert not set(rec["properties"]) & BASE_FIELDS
    assert rec["properties"]["tags"]["type"] == "array"
    assert docs["ledger.TransactionAmended"]["x-schema-version"] == 4
    assert set(docs["ledger.TransactionDeleted"]["properties"]) == {"user_id"}
    json.dumps(docs)  # serialisable as is


def test_envelope_json_schema() -> None:
    schema = envelope_json_schema()
    props = schema["properties"]
    assert set(props) == {f for f in EventEnvelope.model_fields}
    assert props["type"]["pattern"] == r"^[a-z]+\.[A-Za-z0-9]+$"
    assert props["position"]["minimum"] == 1
    assert schema["additionalProperties"] is False
    assert {"event_id", "type", "payload", "position"} <= set(schema["required"])
    assert "user_id" not in schema["required"]


def test_event_type_is_immutable() -> None:
    entry = EventType("bank.AccountOpened", "bank", Account.Opened)
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.name = "x"  # type: ignore[misc]


def test_money_schema_is_string_only() -> None:
    amount = registry.get("ledger.TransactionRecorded").json_schema()["properties"]["amount"]
    assert amount.get("type") == "string"
    assert "anyOf" not in amount
