"""The operators' contract (admin scope): event streams, exports, scratch replays, projection
lag and blue/green rebuilds, dead letters, and a user's state as of an instant."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from contracts.envelope import Tolerant

ScratchName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
ExportFormat = Literal["jsonl", "parquet"]
PARQUET = "application/vnd.apache.parquet"
RebuildPhase = Literal["queued", "building", "catching up", "swapping", "done", "failed"]


class StreamInfo(BaseModel):
    """One service's event stream: its store and its topic."""

    service: str
    topic: str
    events: int
    head: int
    types: dict[str, int]


class EventView(BaseModel):
    """One event as analysts read it (the public envelope)."""

    event_id: str
    type: str
    schema_version: int
    service: str
    aggregate_id: str
    aggregate_version: int
    user_id: str | None
    occurred_at: dt.datetime
    position: int
    correlation_id: str | None = None
    causation_id: str | None = None
    payload: dict[str, Any]


class ReplayRequest(Tolerant):
    """``POST /admin/events/replay``: fold a range of events into a scratch projection."""

    projection: str = Field(max_length=64)
    name: ScratchName
    types: list[Annotated[str, StringConstraints(max_length=80)]] = Field(
        default_factory=list, max_length=100
    )
    user_id: str | None = Field(default=None, max_length=36)
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    after_position: int = Field(default=0, ge=0, le=2**63 - 1)
    upto_position: int | None = Field(default=None, ge=0, le=2**63 - 1)


class ReplayResult(BaseModel):
    """What a scratch replay folded, and where its tables are."""

    projection: str
    name: str
    schema_name: str
    events: int
    seconds: float


class ProjectionLag(BaseModel):
    """Where one consumer stands against one source store."""

    projection: str
    owner: str
    kind: Literal["projection", "policy"]
    service: str
    head: int
    source_events: int
    applied: int
    lag_events: int
    lag_seconds: float
    dead_letters: int


class RebuildJob(BaseModel):
    """A blue/green rebuild: the live tables serve until the swap."""

    projection: str
    phase: RebuildPhase
    done: int
    total: int
    events: int | None = None
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    error: str | None = None


class DeadLetterView(BaseModel):
    """One event a consumer dead-lettered."""

    projection: str
    service: str
    position: int
    dead_lettered_at: dt.datetime
    type: str | None
    event_id: str | None
    error: str | None


class Redriven(BaseModel):
    """A dead letter applied again."""

    projection: str
    service: str
    position: int
    redriven: bool


class LedgerAsOf(BaseModel):
    """The ledger's part of a user's state as of an instant."""

    as_of: dt.datetime
    events: int
    transaction_count: int
    total_spent: Decimal
    spent_by_category: dict[str, Decimal]
    transactions: list[dict[str, Any]]


class BudgetAsOf(BaseModel):
    """The budget's part of a user's state as of an instant (the calendar as it was)."""

    as_of: dt.datetime
    events: int
    timezone: str
    local_date: str
    month: str
    planned: Decimal
    spent: Decimal
    remaining: Decimal
    remaining_by_category: dict[str, Decimal]
    calendar: list[dict[str, Any]]


class UserAsOf(BaseModel):
    """``GET /api/admin/users/{id}/budget?as_of=``: the calendar, balances and transactions
    of one user as they stood at ``as_of``, rebuilt from the log."""

    user_id: str
    as_of: dt.datetime
    budget: BudgetAsOf
    ledger: LedgerAsOf
