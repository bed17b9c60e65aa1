"""The request path, as the app meets it: ``mita up`` on the bench's servers (its own namespace
and free ports, rate limits lifted) and ``bench.http``'s closed loop on the four busiest calls,
with the CPU each of the suite's processes spent per request."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import psutil

from bench.http import Processes, Run, calls, measure, setup
from bench.report import Report, Target, progress
from shared.embedded import free_port
from shared.settings import SERVICES, MitaSettings

SECTION = "http (mita up)"
# The targets for this machine: req/s at concurrency 16 (10x the old backend) and p95 at
# concurrency 1 (the POST's includes the budget's answer).
RATE_AT_16 = {"calendar": 380.0, "dashboard": 210.0, "list": 300.0, "post": 140.0}
P95_AT_1 = {"calendar": 25.0, "dashboard": 25.0, "list": 25.0, "post": 40.0}


def suite_env(settings: MitaSettings, data_dir: Path) -> tuple[dict[str, str], str]:
    """The environment for a ``mita up`` on the bench's servers, and its gateway's URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MITA_")}
    env.update(
        MITA_DATABASE_URL=settings.database_url,
        MITA_KAFKA_BOOTSTRAP=settings.kafka_bootstrap,
        MITA_REDIS_URL=settings.redis_url,
        MITA_SCHEMA_PREFIX=settings.schema_prefix,
        MITA_TOPIC_PREFIX=settings.topic_prefix,
        MITA_DATA_DIR=str(data_dir),
        MITA_RATE_LIMIT_PER_MINUTE="100000",
        MITA_LOG_LEVEL="WARNING",
    )
    for service in SERVICES:
        env[f"MITA_{service.upper()}_PORT"] = str(free_port())
    return env, f"http://127.0.0.1:{env['MITA_GATEWAY_PORT']}"


@contextlib.asynccontextmanager
async def suite(settings: MitaSettings) -> AsyncIterator[tuple[str, asyncio.subprocess.Process]]:
    """``mita up`` until it says every service is ready; stopped (SIGINT) after."""
    with tempfile.TemporaryDirectory(prefix="mita-bench-up-") as data:
        env, base_url = suite_env(settings, Path(data))
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "services.cli",
            "up",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        drain: asyncio.Task[bytes] | None = None
        try:
            assert proc.stdout is not None
            said: list[str] = []
            while True:
                line = (await proc.stdout.readline()).decode()
                if not line:
                    raise RuntimeError("mita up ended before it was ready:\n" + "".join(said))
                said.append(line)
                if line.startswith("gateway: "):
                    if "all ready" not in line:
                        raise RuntimeError("mita up is not ready:\n" + "".join(said[-30:]))
                    break
            # Keep reading its output so a chatty child never blocks on a full pipe.
            drain = asyncio.create_task(proc.stdout.read())
            yield base_url, proc
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGINT)
                try:
                    await asyncio.wait_for(proc.wait(), 60)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()
            if drain is not None:
                with contextlib.suppress(Exception):
                    await drain


def children(proc: asyncio.subprocess.Process) -> Processes:
    """The suite's processes (services, workers; the servers are the bench's own)."""
    tracked = Processes("none")
    for child in psutil.Process(proc.pid).children(recursive=True):
        with contextlib.suppress(psutil.Error):
            cmd = " ".join(child.cmdline())
            if "services.cli" in cmd:
                tracked.procs[Processes._name(cmd, child.pid)] = child
    return tracked


def record(report: Report, run: Run) -> None:
    """One printed row per (endpoint, concurrency) and its targets."""
    n = len(run.latencies)
    errors = sum(c for s, c in run.statuses.items() if not 200 <= s < 300)
    fives = sum(c for s, c in run.statuses.items() if s >= 500)
    rate = n / run.seconds if run.seconds else 0.0
    cpu = ", ".join(f"{k} {v:.1f}" for k, v in sorted(run.cpu_ms.items(), key=lambda x: -x[1]))
    report.add(
        SECTION,
        f"{run.endpoint} c={run.concurrency}",
        f"{rate:.1f}",
        "req/s",
        f"p50 {run.quantile(0.5):.1f} p95 {run.quantile(0.95):.1f} "
        f"p99 {run.quantile(0.99):.1f} ms; non-2xx {errors}, 5xx {fives}; cpu ms/req: {cpu}",
    )
    if run.concurrency == 16:
        report.target(
            Target(f"{run.endpoint} c=16 (10x old)", rate, RATE_AT_16[run.endpoint], "req/s")
        )
    if run.concurrency == 1:
        report.target(
            Target(
                f"{run.endpoint} c=1 p95",
                run.quantile(0.95),
                P95_AT_1[run.endpoint],
                "ms",
                higher=False,
            )
        )
    if run.concurrency == 64:
        report.target(Target(f"{run.endpoint} c=64 errors", float(errors), 0.0, "", higher=False))


async def run(
    settings: MitaSettings, report: Report, seed: int, seconds: float, levels: tuple[int, ...]
) -> None:
    """Start the suite, seed one user, measure every endpoint at every concurrency."""
    progress(f"http: mita up on the bench's servers, {seed} transactions, {seconds:g} s per run")
    async with suite(settings) as (base_url, proc):
        headers = await setup(base_url, seed)
        procs = children(proc)
        for endpoint, call in calls(headers).items():
            for concurrency in levels:
                record(report, await measure(base_url, endpoint, call, concurrency, seconds, procs))
    report.note(
        "http: client bench.http_client (asyncio, kept-alive HTTP/1.1, tens of us per request); "
        "the dev layout (one services process, one workers process); "
        "`python -m bench.http --base-url URL` measures any server the same way"
    )
