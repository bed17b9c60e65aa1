"""Rebuild rates of the transactions read model: the default in-database fold and the stream."""

from __future__ import annotations

import inspect
import time
from dataclasses import dataclass

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from bench.breakdown import rebuild_stages
from bench.profiling import Profiler
from bench.report import Report, Target, fmt_num, progress, rate
from bench.store import StoreMix
from services.ledger.projections import TransactionsProjection
from shared import db
from shared.projections import Projection, tracking_table
from shared.rebuild import rebuild
from shared.settings import MitaSettings

REBUILD_TARGET = 20_000.0
# The batch size ``mita projections rebuild`` uses (the event-stream path reads this many).
REBUILD_BATCH: int = inspect.signature(rebuild).parameters["batch_size"].default
DEFAULT = "rebuild (default: in-database fold)"
STREAM = "rebuild (event stream)"


@dataclass(frozen=True)
class ReadModel:
    """What a rebuild left behind: counts to check, digests to compare paths with."""

    rows: int
    deleted: int
    versions: int  # sum of row versions = events folded into the rows
    live: int  # sum of the users' live counts
    tracked: int
    digest: str

    def problems(self, mix: StoreMix, returned: int) -> list[str]:
        """Differences from what the store must give (empty when the rebuild is right)."""
        expected = {
            "returned count": (returned, mix.total),
            "transaction rows": (self.rows, mix.recorded),
            "deleted rows": (self.deleted, mix.deleted),
            "sum of versions": (self.versions, mix.total),
            "users' live count": (self.live, mix.recorded - mix.deleted),
            "tracking rows": (self.tracked, mix.total),
        }
        return [f"{k} {got} != {want}" for k, (got, want) in expected.items() if got != want]


async def read_model(conn: AsyncConnection[DictRow], projection: Projection) -> ReadModel:
    """Count and digest the transactions read model, its user totals and tracking rows."""
    tx, totals = projection.table("transactions"), projection.table("user_totals")
    cur = await conn.execute(
        sql.SQL(
            "SELECT (SELECT count(*) FROM {tx}) AS rows, "
            "(SELECT count(*) FROM {tx} WHERE deleted) AS deleted, "
            "(SELECT coalesce(sum(version), 0) FROM {tx}) AS versions, "
            "(SELECT coalesce(sum(live_count), 0) FROM {totals}) AS live, "
            "(SELECT count(*) FROM {tracking} WHERE projection = %s) AS tracked, "
            "md5((SELECT coalesce(string_agg(t::text, '|' ORDER BY id), '') FROM {tx} t) || "
            "(SELECT coalesce(string_agg(u::text, '|' ORDER BY user_id), '') FROM {totals} u)) "
            "AS digest"
        ).format(tx=tx, totals=totals, tracking=tracking_table(projection.schema)),
        (projection.name,),
    )
    row = await cur.fetchone()
    await conn.commit()
    assert row is not None
    return ReadModel(
        int(row["rows"]),
        int(row["deleted"]),
        int(row["versions"]),
        int(row["live"]),
        int(row["tracked"]),
        str(row["digest"]),
    )


@dataclass(frozen=True)
class Timed:
    """One checked rebuild: events replayed, seconds, resulting read model."""

    count: int
    seconds: float
    model: ReadModel

    @property
    def rate(self) -> float:
        """Events per second."""
        return rate(self.count, self.seconds)


async def timed_rebuild(
    conn: AsyncConnection[DictRow],
    settings: MitaSettings,
    projection: Projection,
    mix: StoreMix,
    prof: Profiler,
    label: str,
    in_database: bool | None,
) -> Timed:
    """Time ``shared.rebuild.rebuild`` by one path, then check the read model it produced."""
    progress(f"rebuild: {label}")
    with prof.section(label):
        start = time.perf_counter()
        count = await rebuild(conn, settings, projection, in_database=in_database)
        elapsed = time.perf_counter() - start
    model = await read_model(conn, projection)
    problems = model.problems(mix, count)
    if problems:  # a broken path must not look fast
        raise AssertionError(f"{label} gave a wrong read model: {'; '.join(problems)}")
    return Timed(count, elapsed, model)


async def bench_rebuild(
    settings: MitaSettings, report: Report, mix: StoreMix, prof: Profiler
) -> None:
    """Rebuild the transactions read model from the same store by both paths."""
    projection = TransactionsProjection(settings.schema_for("ledger"))
    assert projection.replays_in_database, "the default path is expected to fold in SQL"
    conn = await db.connect(settings.database_url)
    try:
        default = await timed_rebuild(conn, settings, projection, mix, prof, DEFAULT, None)
        stream = await timed_rebuild(conn, settings, projection, mix, prof, STREAM, False)
        stages = await rebuild_stages(conn, settings, projection, REBUILD_BATCH)
    finally:
        await conn.close()
    model = default.model
    report.add(
        "rebuild",
        DEFAULT,
        fmt_num(default.rate),
        "ev/s",
        f"{default.count:,} events in {default.seconds:.2f}s -> {model.rows:,} rows "
        f"({model.deleted:,} deleted); what `mita projections rebuild` runs",
    )
    same = "identical" if stream.model.digest == model.digest else "DIFFERENT"
    report.add(
        "rebuild",
        STREAM,
        fmt_num(stream.rate),
        "ev/s",
        f"{stream.count:,} events in {stream.seconds:.2f}s, in_database=False, "
        f"batch_size={REBUILD_BATCH}; read model {same} to the default's",
    )
    report.add(
        "rebuild",
        "  stage cost (event stream, re-run)",
        f"{stages.total():.0f}",
        "us/ev",
        stages.describe(),
    )
    report.add(
        "rebuild", "ratio in-database / event stream", f"{default.rate / stream.rate:.1f}", "x"
    )
    if same != "identical":
        report.note(
            "rebuild: the two paths left different read models (digest of every row of "
            "transactions and user_totals), although their counts match"
        )
    target = Target("rebuild rate (in-database fold)", default.rate, REBUILD_TARGET, "ev/s")
    report.target(target)
    if not target.met:
        per_event = default.seconds * 1e6 / default.count
        report.note(
            f"rebuild: the default path folds in Postgres ({per_event:.0f} us/event vs a budget "
            f"of {1e6 / REBUILD_TARGET:.0f}); its Python side only waits"
        )
    if stream.rate < REBUILD_TARGET:
        report.note(stages.budget_note("rebuild event stream (comparison only)", REBUILD_TARGET))
