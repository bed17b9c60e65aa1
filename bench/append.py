"""Event append throughput: our applications against the raw ``eventsourcing`` library."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from bench.report import Report, fmt_num, progress, rate
from services import catalog
from services.ledger.application import LedgerApplication
from services.ledger.domain import Transaction
from shared.db import ensure_schema_sync, eventsourcing_env
from shared.envelope import registry
from shared.settings import MitaSettings

CATEGORIES = ("food", "groceries", "coffee", "rent", "travel", "shopping")


class RawThing(Aggregate):
    """A trivial aggregate for the raw library baseline."""

    @event("Created")
    def __init__(self, name: str) -> None:
        self.name = name


class RawApplication(Application[uuid.UUID]):
    """A plain ``eventsourcing`` application, no MITA mapper or metadata."""

    name = "rawbench"


@dataclass(frozen=True)
class AppendResult:
    """Events/s of one writer in single and batched mode."""

    single: float
    batched: float


def make_transaction(i: int) -> Transaction:
    """A realistic ledger transaction (new aggregate, one Recorded event)."""
    return Transaction.record(
        transaction_id=uuid.uuid4(),
        user_id=uuid.UUID(int=i % 50 + 1),
        amount=Decimal(f"{(i % 9000) + 1}.{i % 100:02d}"),
        currency="usd",
        category=CATEGORIES[i % len(CATEGORIES)],
        spent_at=dt.datetime.now(dt.UTC),
        description=f"bench purchase {i}",
        merchant="Bench Mart" if i % 2 else None,
    )


def make_raw(i: int) -> RawThing:
    """A trivial aggregate (new aggregate, one Created event)."""
    return RawThing(name=f"thing {i}")


def time_saves(
    save: Callable[..., Any], factory: Callable[[int], Aggregate], n: int, batch: int
) -> float:
    """Save ``n`` new aggregates ``batch`` per ``save()`` call; return the seconds taken."""
    start = time.perf_counter()
    i = 0
    while i < n:
        size = min(batch, n - i)
        save(*[factory(i + k) for k in range(size)])
        i += size
    return time.perf_counter() - start


def ledger_app(settings: MitaSettings) -> LedgerApplication:
    """The ledger write model in the bench's namespace."""
    app = LedgerApplication.for_database(settings.database_url, settings.schema_for("ledger"))
    assert isinstance(app, LedgerApplication)
    return app


def raw_app(settings: MitaSettings) -> RawApplication:
    """The raw library application in its own schema of the same database."""
    schema = f"{settings.schema_prefix}rawbench"
    ensure_schema_sync(settings.database_url, schema)
    return RawApplication(eventsourcing_env(settings.database_url, schema, RawApplication.name))


def measure(
    writers: dict[str, tuple[Callable[..., Any], Callable[[int], Aggregate]]],
    n_single: int,
    n_batched: int,
    batch: int,
    rounds: int = 3,
) -> dict[str, AppendResult]:
    """Time every writer, interleaved over ``rounds`` so drift hits all of them alike."""
    seconds = {name: [0.0, 0.0] for name in writers}
    for save, factory in writers.values():
        time_saves(save, factory, 50, 1)  # warm-up: pool connections, prepared statements
    for _ in range(rounds):
        for mode, (n, size) in enumerate(((n_single, 1), (n_batched, batch))):
            for name, (save, factory) in writers.items():
                seconds[name][mode] += time_saves(save, factory, n // rounds, size)
    return {
        name: AppendResult(
            rate(n_single // rounds * rounds, single), rate(n_batched // rounds * rounds, batched)
        )
        for name, (single, batched) in seconds.items()
    }


def services_without_aggregates() -> list[str]:
    """Store services other than ledger, each with why it is not measured."""
    catalog.load_event_types()
    out = []
    for service in catalog.STORE_SERVICES:
        if service == "ledger":
            continue
        types = [e.name for e in registry.all() if e.service == service]
        try:
            cls = catalog.application_class(service)
            label = cls.__name__
        except (ModuleNotFoundError, AttributeError):
            label = "no application module"
        if types:
            out.append(f"{service}: {len(types)} event types but no bench factory yet ({label})")
        else:
            out.append(f"{service}: no aggregates yet ({label} is empty), not measured")
    return out


def run(settings: MitaSettings, report: Report, n_single: int, n_batched: int, batch: int) -> None:
    """Measure append throughput and add the figures to ``report``."""
    progress(f"append: ledger and raw, {n_single} single + {n_batched} batched each")
    ours_app, raw = ledger_app(settings), raw_app(settings)
    try:
        results = measure(
            {"ours": (ours_app.save, make_transaction), "raw": (raw.save, make_raw)},
            n_single,
            n_batched,
            batch,
        )
    finally:
        ours_app.close()
        raw.close()
    ours, base = results["ours"], results["raw"]
    for mode, mine, theirs, size in (
        ("single", ours.single, base.single, 1),
        ("batched", ours.batched, base.batched, batch),
    ):
        note = f"{size} new aggregate(s) per save(), 1 event each"
        report.add("append", f"ledger {mode}", fmt_num(mine), "ev/s", note)
        report.add("append", f"raw eventsourcing {mode}", fmt_num(theirs), "ev/s", "same db")
        report.add("append", f"ratio ours/raw {mode}", f"{mine / theirs:.2f}", "x")
    for line in services_without_aggregates():
        service, _, why = line.partition(": ")
        report.add("append", service, "-", "", why)
