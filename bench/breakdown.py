"""Where the time goes: per-stage cost (µs/event) of the relay and of a rebuild."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from psycopg import AsyncConnection
from psycopg.rows import DictRow

from bench.append import make_transaction
from shared.projections import Projection, claim
from shared.rebuild import reset_read_model
from shared.relay import kafka_headers, read_stored
from shared.settings import MitaSettings
from shared.sources import SourceTable
from shared.store import make_mapper, to_envelope


@dataclass
class Stages:
    """Seconds spent per named stage over ``count`` events."""

    count: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, stage: str, seconds: float) -> None:
        """Accumulate time for one stage."""
        self.seconds[stage] = self.seconds.get(stage, 0.0) + seconds

    def micros(self) -> dict[str, float]:
        """Microseconds per event of each stage."""
        return {k: v / self.count * 1e6 for k, v in self.seconds.items()} if self.count else {}

    def describe(self) -> str:
        """``stage 12.3 · stage 4.5`` in µs/event."""
        return " + ".join(f"{k} {v:.0f}" for k, v in self.micros().items())

    def total(self) -> float:
        """Sum of the stages in µs/event."""
        return sum(self.micros().values())

    def budget_note(self, what: str, target_rate: float) -> str:
        """Explain a rate from its stage costs against the per-event budget of a target."""
        micros = self.micros()
        total = self.total()
        if not micros or total <= 0:
            return f"{what}: no stage timings"
        ranked = sorted(micros.items(), key=lambda kv: -kv[1])
        top = ", ".join(f"{k} {v:.0f} us ({v / total:.0%})" for k, v in ranked[:2])
        return (
            f"{what}: {total:.0f} us/event serially (ceiling ~{1e6 / total:,.0f} ev/s) vs a "
            f"budget of {1e6 / target_rate:.0f} us/event for {target_rate:,.0f} ev/s; "
            f"largest stages: {top}"
        )


async def relay_stages(
    conn: AsyncConnection[DictRow], settings: MitaSettings, service: str, drain_seconds: float
) -> Stages:
    """Re-read and re-encode the store like ``Relay.publish_batch``, minus the broker."""
    # The broker part (send, acknowledgement, tracking update) is the rest of the drain time.
    source = SourceTable(service, settings.schema_for(service))
    stages = Stages()
    after = 0
    while True:
        t0 = time.perf_counter()
        rows = await read_stored(conn, source, after, settings.relay_batch_size)
        await conn.commit()
        t1 = time.perf_counter()
        if not rows:
            break
        envelopes = [to_envelope(service, pos, stored) for pos, stored in rows]
        t2 = time.perf_counter()
        for env in envelopes:
            env.to_bytes(), str(env.aggregate_id).encode(), kafka_headers(env)
        t3 = time.perf_counter()
        stages.add("read_stored", t1 - t0)
        stages.add("to_envelope", t2 - t1)
        stages.add("to_bytes+headers", t3 - t2)
        stages.count += len(rows)
        after = rows[-1][0]
    rest = drain_seconds - sum(stages.seconds.values())
    stages.add("send+ack+track (rest of drain)", max(rest, 0.0))
    return stages


async def rebuild_stages(
    conn: AsyncConnection[DictRow], settings: MitaSettings, projection: Projection, batch: int
) -> Stages:
    """Replay the store into an emptied read model, timing each step of ``rebuild``."""
    await reset_read_model(conn, projection)
    stages = Stages()
    for service in projection.sources:
        source = SourceTable(service, settings.schema_for(service))
        after = 0
        while True:
            t0 = time.perf_counter()
            rows = await read_stored(conn, source, after, batch)
            t1 = time.perf_counter()
            if not rows:
                await conn.commit()
                break
            events = [to_envelope(service, pos, stored) for pos, stored in rows]
            t2 = time.perf_counter()
            async with conn.transaction():
                fresh = await claim(conn, projection, events)
                t3 = time.perf_counter()
                await projection.apply_many(conn, [e for e in fresh if projection.wants(e)])
            t4 = time.perf_counter()
            stages.add("read_stored", t1 - t0)
            stages.add("to_envelope", t2 - t1)
            stages.add("claim", t3 - t2)
            stages.add("apply_many+commit", t4 - t3)
            stages.count += len(rows)
            after = rows[-1][0]
    return stages


def cpu_reference(rounds: int = 5, n: int = 2_000) -> float:
    """µs for ``json.loads`` of one stored ledger event (best of ``rounds``): CPU speed gauge."""
    state = make_mapper().to_stored_event(make_transaction(1).collect_events()[0]).state
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(n):
            json.loads(state)
        best = min(best, (time.perf_counter() - start) / n * 1e6)
    return best
