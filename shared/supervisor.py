"""A small process supervisor: prefixed logs, readiness summary, clean shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from dataclasses import dataclass, field

import httpx

COLORS = ("36", "32", "33", "35", "34", "31", "96", "92", "93", "95", "94")


@dataclass
class Child:
    """One supervised process."""

    name: str
    argv: list[str]
    ready_url: str | None = None
    # Further (name, URL) readiness probes: a process serving several services has one each.
    probes: tuple[tuple[str, str], ...] = ()
    proc: asyncio.subprocess.Process | None = None
    restarts: int = 0
    pump: asyncio.Task[None] | None = field(default=None, repr=False)


def said(answer: httpx.Response) -> str:
    """A readiness answer that is not ready: "warming up" while the read side catches up with
    the stores' backlog, else its status code."""
    with contextlib.suppress(ValueError, AttributeError):
        if answer.json().get("status") == "warming_up":
            return "warming up"
    return str(answer.status_code)


class Supervisor:
    """Starts children, prefixes their output, restarts crashed ones, stops all on exit."""

    def __init__(self, env: dict[str, str], *, max_restarts: int = 5) -> None:
        self.env = env
        self.children: list[Child] = []
        self.max_restarts = max_restarts
        self.stopping = False
        self.width = 10

    def add(self, child: Child) -> None:
        """Register a child before ``start``."""
        self.children.append(child)
        self.width = max(self.width, len(child.name))

    def _prefix(self, child: Child) -> str:
        color = COLORS[self.children.index(child) % len(COLORS)]
        name = child.name.rjust(self.width)
        return f"\033[{color}m{name} |\033[0m " if sys.stdout.isatty() else f"{name} | "

    async def _pump(self, child: Child) -> None:
        assert child.proc is not None
        assert child.proc.stdout is not None
        prefix = self._prefix(child)
        async for line in child.proc.stdout:
            sys.stdout.write(prefix + line.decode(errors="replace"))
            sys.stdout.flush()

    async def _spawn(self, child: Child) -> None:
        child.proc = await asyncio.create_subprocess_exec(
            *child.argv,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env=self.env,
            start_new_session=True,  # Ctrl-C reaches the supervisor only; it stops children
        )
        child.pump = asyncio.create_task(self._pump(child))

    async def start(self) -> None:
        """Spawn every child."""
        for child in self.children:
            await self._spawn(child)

    async def wait_ready(self, timeout: float = 90.0) -> dict[str, str]:
        """Poll each readiness probe until all answer 200 or ``timeout`` passes."""
        probes: dict[str, str] = {}
        for child in self.children:
            if child.ready_url:
                probes[child.name] = child.ready_url
            probes.update(child.probes)
        status = dict.fromkeys(probes, "starting")
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=5.0) as client:
            while time.monotonic() < deadline and any(v != "ok" for v in status.values()):
                for name, url in probes.items():
                    if status[name] == "ok":
                        continue
                    with contextlib.suppress(httpx.HTTPError):
                        r = await client.get(url)
                        status[name] = "ok" if r.status_code == 200 else said(r)
                await asyncio.sleep(0.3)
        return status

    async def watch(self, stop: asyncio.Event) -> None:
        """Restart children that exit unexpectedly until ``stop`` is set."""
        while not stop.is_set():
            for child in self.children:
                proc = child.proc
                if proc is not None and proc.returncode is not None and not self.stopping:
                    if child.restarts >= self.max_restarts:
                        print(f"{child.name} exited {proc.returncode}; giving up", flush=True)
                        stop.set()
                        break
                    child.restarts += 1
                    print(f"{child.name} exited {proc.returncode}; restarting", flush=True)
                    await self._spawn(child)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.5)

    async def stop(self, grace: float = 10.0) -> None:
        """SIGTERM every child, then SIGKILL what is left after ``grace`` seconds."""
        self.stopping = True
        for child in self.children:
            if child.proc is not None and child.proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    child.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for child in self.children:
            if child.proc is None:
                continue
            try:
                await asyncio.wait_for(child.proc.wait(), max(0.1, deadline - time.monotonic()))
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.proc.pid, signal.SIGKILL)
                await child.proc.wait()
            if child.pump is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(child.pump, 2)
