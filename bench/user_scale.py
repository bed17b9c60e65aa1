"""One user with a long history: read-model rebuild time and read latency through the gateway.

The user (``bench.user_scale_seed``) has ``n`` ledger transactions over three years and a
budget plan for every month. The production projections are rebuilt from the stores with
``shared.rebuild.rebuild`` (what ``mita projections rebuild`` runs) and timed one by one; as
the stores hold this user only, that is the user's rebuild time. Then the app's main screens
are timed request by request through the gateway (``bench.user_scale_http``), interleaved so
drift hits them alike.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from bench.insights_probes import insights_probes, uncached_probes
from bench.profiling import Profiler
from bench.report import Report, Target, fmt_num, progress, rate
from bench.user_scale_http import Timed, drop_redis_keys, measure
from bench.user_scale_seed import BATCH, TIMEZONE, Seeded, seed_user
from services.catalog import PROJECTIONS
from shared import db
from shared.projections import Projection
from shared.rebuild import rebuild
from shared.settings import MitaSettings

SECTION = "user scale"
LATENCY_TARGET_MS = 50.0
REBUILT = ("auth_users", "ledger_users", "ledger_transactions", "budget_days",
           "insights_users", "insights_spending")  # fmt: skip


@dataclass(frozen=True)
class Rebuilt:
    """One projection's timed rebuild."""

    name: str
    events: int
    seconds: float
    in_database: bool


async def rebuild_all(settings: MitaSettings, prof: Profiler) -> list[Rebuilt]:
    """Rebuild each production read model the screens read, one after the other."""
    conn = await db.connect(settings.database_url)
    out = []
    try:
        for name in REBUILT:
            projection = PROJECTIONS[name].build(settings)
            assert isinstance(projection, Projection)
            progress(f"user scale: rebuilding {name}")
            with prof.section(f"user scale rebuild {name}"):
                start = time.perf_counter()
                events = await rebuild(conn, settings, projection)
                elapsed = time.perf_counter() - start
            out.append(Rebuilt(name, events, elapsed, projection.replays_in_database))
    finally:
        await conn.close()
    return out


async def vacuum_analyze(settings: MitaSettings) -> float:
    """``VACUUM (ANALYZE)`` every table of the namespace, as autovacuum soon would; seconds.

    A rebuild ends with ANALYZE (planner statistics) but its freshly written tables have no
    visibility map until a vacuum comes by: timing the reads before that would time a
    transient state.
    """
    conn = await db.connect(settings.database_url, autocommit=True)
    start = time.perf_counter()
    try:
        cur = await conn.execute(
            "SELECT schemaname, tablename FROM pg_tables WHERE starts_with(schemaname, %s)",
            (settings.schema_prefix,),
        )
        for row in await cur.fetchall():
            await conn.execute(
                sql.SQL("VACUUM (ANALYZE) {}.{}").format(
                    sql.Identifier(row["schemaname"]), sql.Identifier(row["tablename"])
                )
            )
    finally:
        await conn.close()
    return time.perf_counter() - start


async def one(conn: AsyncConnection[DictRow], query: sql.Composed, *params: Any) -> Any:
    """The single value a query returns."""
    cur = await conn.execute(query, params)
    row = await cur.fetchone()
    await conn.commit()
    assert row is not None
    return next(iter(row.values()))


async def check_read_models(settings: MitaSettings, seeded: Seeded) -> list[str]:
    """Differences between the rebuilt read models and what was seeded (empty: right)."""
    ledger, budget = settings.schema_for("ledger"), settings.schema_for("budget")

    def table(schema: str, name: str) -> sql.Composed:
        return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(name))

    conn = await db.connect(settings.database_url)
    try:
        got = {
            "ledger live rows": await one(
                conn,
                sql.SQL("SELECT count(*) FROM {} WHERE user_id = %s AND NOT deleted").format(
                    table(ledger, "transactions")
                ),
                seeded.user_id,
            ),
            "ledger live total": await one(
                conn,
                sql.SQL("SELECT live_total FROM {} WHERE user_id = %s").format(
                    table(ledger, "user_totals")
                ),
                seeded.user_id,
            ),
            "budget spent": await one(
                conn,
                sql.SQL("SELECT coalesce(sum(spent), 0) FROM {} WHERE user_id = %s").format(
                    table(budget, "budget_days")
                ),
                seeded.user_id,
            ),
            "ledger timezone": await one(
                conn,
                sql.SQL("SELECT timezone FROM {} WHERE user_id = %s").format(
                    table(ledger, "users")
                ),
                seeded.user_id,
            ),
        }
    finally:
        await conn.close()
    want = {
        "ledger live rows": seeded.live,
        "ledger live total": seeded.live_total,
        "budget spent": seeded.live_total,
        "ledger timezone": TIMEZONE,
    }
    return [f"{k} {got[k]} != {v}" for k, v in want.items() if got[k] != v]


def report_figures(
    report: Report, seeded: Seeded, rebuilt: list[Rebuilt], timed: list[Timed], warmup: int
) -> None:
    """Add the phase's rows and targets to the report."""
    report.add(SECTION, "seeded user", f"{seeded.recorded:,}", "tx", seeded.describe())
    report.add(
        SECTION,
        "seed time",
        f"{seeded.seconds:.1f}",
        "s",
        f"register + onboarding + {seeded.plans} plans; ledger {seeded.ledger_events:,} events "
        f"in {seeded.ledger_seconds:.1f}s = "
        f"{fmt_num(rate(seeded.ledger_events, seeded.ledger_seconds))} ev/s "
        f"(LedgerApplication.save, {BATCH} per call)",
    )
    total = 0.0
    for r in rebuilt:
        total += r.seconds
        path = "in-database fold" if r.in_database else "event stream"
        report.add(
            SECTION,
            f"rebuild {r.name}",
            f"{r.seconds:.2f}",
            "s",
            f"{r.events:,} events, {fmt_num(rate(r.events, r.seconds))} ev/s ({path})",
        )
    report.add(SECTION, "rebuild, all", f"{total:.2f}", "s", "the user's read models")
    for t in timed:
        p50, p95, p99 = (t.percentile(q) for q in (0.50, 0.95, 0.99))
        report.add(
            SECTION,
            f"{t.probe.label} p95",
            f"{p95:.1f}",
            "ms",
            f"p50 {p50:.1f}, p99 {p99:.1f}, max {max(t.millis):.1f} ms; "
            f"n={len(t.millis)} after {warmup} warm-up; GET {t.probe.url}",
        )
        if t.probe.target:
            report.target(Target(f"p95 {t.probe.label}", p95, LATENCY_TARGET_MS, "ms", False))


async def run(
    settings: MitaSettings,
    report: Report,
    n: int,
    requests: int,
    prof: Profiler,
    warmup: int = 20,
) -> None:
    """Seed the user, rebuild its read models, time the screens through the gateway."""
    progress(f"user scale: seeding 1 user with {n:,} transactions over 3 years")
    seeded = await asyncio.to_thread(seed_user, settings, n)
    rebuilt = await rebuild_all(settings, prof)
    problems = await check_read_models(settings, seeded)
    if problems:  # a wrong read model must not look fast
        raise AssertionError(f"user scale: rebuilt read models are wrong: {'; '.join(problems)}")
    vacuumed = await vacuum_analyze(settings)
    progress(f"user scale: timing {requests} requests per screen through the gateway")
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        timed = await measure(settings, seeded, requests, warmup, prof)
        progress(f"user scale: timing {max(requests // 10, 5)} requests per insights read")
        timed += await measure(
            settings, seeded, max(requests // 10, 5), 2, prof, insights_probes(seeded.today)
        )
        timed += await measure(
            settings, seeded, max(requests // 10, 5), 2, prof, uncached_probes(seeded.today),
            cache=False,
        )  # fmt: skip
    finally:
        root.handlers[:], root.level = handlers, level  # the apps log to stdout
        await drop_redis_keys(settings)
    report_figures(report, seeded, rebuilt, timed, warmup)
    report.note(
        f"user scale: user {seeded.user_id} in {TIMEZONE}; requests are sequential, "
        "in-process over ASGI (gateway, auth, ledger and budget apps in one event loop, "
        "Redis for revocation and rate limits); the read models were checked against the "
        f"seed, then VACUUM (ANALYZE)d ({vacuumed:.1f}s) as autovacuum would: a rebuild "
        "analyzes but does not vacuum"
    )
