"""Orchestration of ``make bench``: servers, phases in order, one printed report."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import platform
import time
import traceback

from aiokafka.admin import AIOKafkaAdminClient
from psycopg.conninfo import conninfo_to_dict

from bench import append, clusters, lag, ocr, pipeline, restart, scaleout, suite, user_scale
from bench.breakdown import cpu_reference
from bench.infra import Infra, drop_schemas, fresh_settings, scale, scaled, servers
from bench.profiling import Profiler
from bench.report import Report, progress, render
from shared.settings import MitaSettings


def describe(infra: Infra) -> list[str]:
    """Header lines: where the servers are and how big the run is (no secrets)."""
    parts = conninfo_to_dict(infra.database_url)
    where = f"{parts.get('host') or 'localhost'}:{parts.get('port') or 5432}/{parts.get('dbname')}"
    pg = "embedded pgserver" if "postgres" in infra.embedded else f"external {where}"
    broker = "embedded Tansu" if "tansu" in infra.embedded else "external"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return [
        f"MITA bench  {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M:%S} UTC",
        f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {load} at start; MITA_BENCH_SCALE={scale():g}",
        f"cpu gauge: json.loads of one stored ledger event = {cpu_reference():.1f} us "
        "(compare machines with it)",
        f"postgres: {pg}; kafka: {broker} {infra.kafka_bootstrap}",
    ]


async def delete_topics(bootstrap: str, prefixes: list[str]) -> None:
    """Delete the bench's topics from an external broker (best effort)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    with contextlib.suppress(Exception):
        await admin.start()
        topics = [t for t in await admin.list_topics() if t.startswith(tuple(prefixes))]
        if topics:
            await admin.delete_topics(topics)
    with contextlib.suppress(Exception):
        await admin.close()


async def phases(infra: Infra, report: Report, used: list[MitaSettings]) -> None:
    """Run every phase, each in its own namespace (appended to ``used``)."""
    prof = Profiler()

    def fresh() -> MitaSettings:
        """A new namespace, remembered for the clean-up."""
        settings = fresh_settings(infra)
        used.append(settings)
        return settings

    await asyncio.to_thread(append.run, fresh(), report, scaled(2_000), scaled(20_000, 100), 100)
    await pipeline.run(fresh(), report, scaled(20_000, 100), prof)
    seconds = max(12.0 * min(scale(), 1.0), 3.0)
    await lag.run(fresh(), report, 200.0, seconds, 2.0)
    await user_scale.run(fresh(), report, scaled(100_000, 1_000), scaled(200, 40), prof)
    await ocr.run(fresh(), report, scaled(60, 10))
    await asyncio.to_thread(clusters.run, report, scaled(10_000, 100))
    await restart.run(fresh(), fresh(), report, scaled(1_000_000, 2_000), scaled(20_000, 200))
    await suite.run(
        fresh(), report, scaled(2_000, 50), max(8.0 * min(scale(), 1.0), 2.0), (1, 16, 64)
    )
    await scaleout.run(fresh(), report, scaled(200, 20), max(8.0 * min(scale(), 1.0), 2.0))
    prof.dump()


async def amain() -> None:
    """Run the bench and print the report."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    started = time.perf_counter()
    report = Report()
    failure: BaseException | None = None
    with servers() as infra:
        header = describe(infra)
        used: list[MitaSettings] = []
        try:
            await phases(infra, report, used)
        except Exception as exc:  # print what was measured before the failure
            failure = exc
            traceback.print_exc()
            report.note(f"bench FAILED: {exc!r}")
        finally:
            progress("cleaning up")
            prefixes = [s.schema_prefix for s in used]
            with contextlib.suppress(Exception):
                await drop_schemas(infra.database_url, prefixes)
            if "tansu" not in infra.embedded:
                await delete_topics(infra.kafka_bootstrap, [s.topic_prefix for s in used])
    report.note(f"whole bench took {time.perf_counter() - started:.0f}s (servers included)")
    print(render(report, header), flush=True)
    if failure is not None:
        raise SystemExit(1) from failure


def main() -> None:
    """Entry point of ``python -m bench``."""
    asyncio.run(amain())
