"""The pre-appended ledger store shared by the relay, projection and rebuild phases."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bench.append import ledger_app, make_transaction
from services.ledger.domain import Transaction
from shared.settings import MitaSettings

AMEND_EVERY = 3  # like tests/helpers.py ``seed``: amend every 3rd transaction ...
DELETE_EVERY = 5  # ... and delete every 5th (amended first when both)


@dataclass(frozen=True)
class StoreMix:
    """How many events of each kind the store holds (one aggregate per Recorded)."""

    recorded: int
    amended: int
    deleted: int

    @property
    def total(self) -> int:
        """All stored events."""
        return self.recorded + self.amended + self.deleted

    def describe(self) -> str:
        """``13,043 recorded + 4,348 amended + 2,609 deleted``."""
        return (
            f"{self.recorded:,} recorded + {self.amended:,} amended (every {AMEND_EVERY}rd) + "
            f"{self.deleted:,} deleted (every {DELETE_EVERY}th)"
        )

    def amends(self, i: int) -> bool:
        """Whether transaction ``i`` gets an Amended event."""
        return i % AMEND_EVERY == 0 and i // AMEND_EVERY < self.amended

    def deletes(self, i: int) -> bool:
        """Whether transaction ``i`` gets a Deleted event."""
        return i % DELETE_EVERY == 0 and i // DELETE_EVERY < self.deleted


def plan(n: int) -> StoreMix:
    """Split ``n`` events into the fewest transactions whose amends and deletes fill ``n``."""

    def events(k: int) -> int:
        return k + -(-k // AMEND_EVERY) + -(-k // DELETE_EVERY)

    recorded = max(n * 15 // 23 - 1, 1)  # 1 + 1/3 + 1/5 = 23/15 events per transaction
    while events(recorded) < n:
        recorded += 1
    amended = min(-(-recorded // AMEND_EVERY), n - recorded)
    return StoreMix(recorded, amended, n - recorded - amended)


def change(txs: list[tuple[int, Transaction]], mix: StoreMix) -> list[Transaction]:
    """Amend and delete the planned ones of ``txs``; return those with new events."""
    out = []
    for i, tx in txs:
        if mix.amends(i):
            tx.amend(user_id=tx.user_id, amount=Decimal("7.77"), category="travel")
        if mix.deletes(i):
            tx.delete(user_id=tx.user_id)
        if mix.amends(i) or mix.deletes(i):
            out.append(tx)
    return out


def preappend(settings: MitaSettings, n: int, batch: int = 500) -> StoreMix:
    """Store ``n`` ledger events (not timed): Recorded, then Amended/Deleted one batch later.

    Each batch's changes are saved after the next batch's records, so a change usually sits
    in the log after newer transactions, as it would in use.
    """
    mix = plan(n)
    app = ledger_app(settings)
    try:
        previous: list[tuple[int, Transaction]] = []
        for start in range(0, mix.recorded, batch):
            txs = [(i, make_transaction(i)) for i in range(start, min(start + batch, mix.recorded))]
            app.save(*(tx for _, tx in txs))
            if changed := change(previous, mix):
                app.save(*changed)
            previous = txs
        if changed := change(previous, mix):
            app.save(*changed)
        head = app.head_position()
    finally:
        app.close()
    if head != mix.total:
        raise AssertionError(f"pre-append stored {head} events, planned {mix.total}")
    return mix
