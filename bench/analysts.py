"""Analysts' rates on the pipeline's store: export to Parquet, replay into a scratch
projection, and a blue/green rebuild (what `mita events …` and the admin API run)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from bench.report import Report, fmt_num, progress, rate
from bench.store import StoreMix
from services.ledger.projections import TransactionsProjection
from shared import db
from shared.bluegreen import rebuild_blue_green
from shared.export import ParquetSink, export
from shared.replay import EventFilter, drop_schema, replay_into, scratch_schema
from shared.settings import MitaSettings


async def bench_analysts(settings: MitaSettings, report: Report, mix: StoreMix) -> None:
    """Export the whole ledger store to Parquet, replay it into a scratch projection and
    rebuild the live read model blue/green; each checked against the store's counts."""
    live = TransactionsProjection(settings.schema_for("ledger"))
    conn = await db.connect(settings.database_url)
    try:
        with tempfile.TemporaryDirectory(prefix="mita-bench-export-") as folder:
            path = Path(folder) / "ledger.parquet"
            progress("analysts: export to Parquet")
            start = time.perf_counter()
            exported = await export(conn, settings, ["ledger"], EventFilter(), ParquetSink(path))
            export_s = time.perf_counter() - start
            rows, size = pq.read_metadata(path).num_rows, path.stat().st_size
        assert exported == rows == mix.total, (exported, rows, mix.total)
        schema = scratch_schema(settings, "bench")
        progress("analysts: replay into a scratch projection")
        start = time.perf_counter()
        replayed = await replay_into(conn, settings, live.on_schema(schema), EventFilter())
        replay_s = time.perf_counter() - start
        await drop_schema(conn, schema)
        assert replayed == mix.total, (replayed, mix.total)
        progress("analysts: blue/green rebuild")
        start = time.perf_counter()
        rebuilt = await rebuild_blue_green(conn, settings, live)
        swap_s = time.perf_counter() - start
        assert rebuilt == mix.total, (rebuilt, mix.total)
    finally:
        await conn.close()
    report.add(
        "analysts", "export to Parquet", fmt_num(rate(exported, export_s)), "ev/s",
        f"{exported:,} events in {export_s:.2f}s, {size / 1e6:.1f} MB (zstd)",
    )  # fmt: skip
    report.add(
        "analysts", "replay into a scratch projection", fmt_num(rate(replayed, replay_s)), "ev/s",
        f"{replayed:,} events in {replay_s:.2f}s through ledger_transactions' live fold",
    )  # fmt: skip
    report.add(
        "analysts", "blue/green rebuild", fmt_num(rate(rebuilt, swap_s)), "ev/s",
        f"{rebuilt:,} events in {swap_s:.2f}s: green built in SQL, caught up, swapped",
    )  # fmt: skip
