"""Scale-out on one machine: the gateway and the budget service as one process each, then as two
each (``uvicorn --workers 2``: one listening socket, the kernel spreads connections), the rest of
the suite unchanged; ``bench.http``'s closed loop at concurrency 16 on a budget-heavy read and on
the POST. ``python -m bench.scaleout`` runs it alone."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import psutil

from bench.http import Processes, calls, measure, setup
from bench.report import Report, progress
from bench.suite import suite_env
from services import catalog
from shared.settings import SERVICES, MitaSettings

SECTION = "scale-out (1 vs 2 gateway and budget processes)"
SCALED = ("gateway", "budget")
#: The factories uvicorn imports for the scaled services (each reads its settings from the env).
FACTORIES = {
    "gateway": "services.gateway.main:create_app",
    "budget": "services.budget.main:create_app",
}


async def _ready(url: str, deadline: float) -> None:
    async with httpx.AsyncClient(timeout=2) as client:
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"{url}/ready")).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} was not ready in time")
            await asyncio.sleep(0.2)


def tracked(procs: list[asyncio.subprocess.Process], names: list[str]) -> Processes:
    """The layout's processes (uvicorn's workers folded into their service) for CPU per request."""
    out = Processes("none")
    out.procs["client"] = psutil.Process()  # this process: the load client (and the bench)
    for proc, name in zip(procs, names, strict=True):
        with contextlib.suppress(psutil.Error):
            parent = psutil.Process(proc.pid)
            for n, each in enumerate([parent, *parent.children(recursive=True)]):
                out.procs[f"{name}#{n}" if n else name] = each
    return out


@contextlib.asynccontextmanager
async def layout(settings: MitaSettings, workers: int) -> AsyncIterator[tuple[str, Processes]]:
    """The suite with ``workers`` processes each for the gateway and the budget; its URL and
    its processes."""
    with tempfile.TemporaryDirectory(prefix="mita-bench-scale-") as data:
        env, base_url = suite_env(settings, Path(data))
        cli = [sys.executable, "-m", "services.cli"]
        others = [s for s in SERVICES if s not in SCALED]
        commands = [
            [*cli, "serve", *others],
            [*cli, "worker", *catalog.STORE_SERVICES],
            *(
                [sys.executable, "-m", "uvicorn", FACTORIES[s], "--factory", "--host", "127.0.0.1",
                 "--port", env[f"MITA_{s.upper()}_PORT"], "--workers", str(workers),
                 "--loop", "uvloop", "--http", "httptools", "--no-access-log",
                 "--log-level", "warning"]
                for s in SCALED
            ),
        ]  # fmt: skip
        procs = [
            await asyncio.create_subprocess_exec(
                *c, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
            )
            for c in commands
        ]
        try:
            deadline = time.monotonic() + 120
            for service in SERVICES:
                await _ready(f"http://127.0.0.1:{env[f'MITA_{service.upper()}_PORT']}", deadline)
            yield base_url, tracked(procs, ["services", "workers", *SCALED])
        finally:
            for proc in procs:
                if proc.returncode is None:
                    proc.send_signal(signal.SIGINT)
            for proc in procs:
                try:
                    await asyncio.wait_for(proc.wait(), 30)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()


def cpu_of(cpu_ms: dict[str, float]) -> str:
    """CPU per request by process, the busiest first (uvicorn's parent, which only watches
    its workers, left out when idle)."""
    busy = sorted(((k, v) for k, v in cpu_ms.items() if v >= 0.05), key=lambda x: -x[1])
    return ", ".join(f"{k} {v:.1f}" for k, v in busy)


async def run(settings: MitaSettings, report: Report, seed: int, seconds: float) -> None:
    """Measure req/s at concurrency 16 with one, then two, gateway and budget processes."""
    rates: dict[tuple[str, int], float] = {}
    for workers in (1, 2):
        progress(f"scale-out: {workers} gateway and budget process(es), {seconds:g} s per run")
        async with layout(settings, workers) as (base_url, procs):
            headers = await setup(base_url, seed)
            for endpoint, call in calls(headers).items():
                if endpoint not in ("calendar", "post"):
                    continue
                run_ = await measure(base_url, endpoint, call, 16, seconds, procs)
                errors = sum(c for s, c in run_.statuses.items() if not 200 <= s < 300)
                rate = len(run_.latencies) / run_.seconds
                rates[(endpoint, workers)] = rate
                report.add(
                    SECTION,
                    f"{endpoint} c=16, {workers} process(es)",
                    f"{rate:.1f}",
                    "req/s",
                    f"p50 {run_.quantile(0.5):.1f} p95 {run_.quantile(0.95):.1f} ms; "
                    f"non-2xx {errors}; cpu ms/req: {cpu_of(run_.cpu_ms)}",
                )
    for endpoint in ("calendar", "post"):
        one, two = rates[(endpoint, 1)], rates[(endpoint, 2)]
        report.add(SECTION, f"{endpoint} two / one", f"{two / one:.2f}", "x")
    report.note(
        "scale-out: uvicorn --workers shares one socket per service; the other services, the "
        "workers, the servers and the load client share the same cores"
    )


async def amain() -> None:
    """Run only this phase on the bench's servers."""
    from bench.infra import drop_schemas, fresh_settings, servers
    from bench.report import render

    report = Report()
    with servers() as infra:
        settings = fresh_settings(infra)
        try:
            await run(settings, report, 200, 8.0)
        finally:
            await drop_schemas(infra.database_url, [settings.schema_prefix])
    print(render(report, []), flush=True)


if __name__ == "__main__":
    asyncio.run(amain())
