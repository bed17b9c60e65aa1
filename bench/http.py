"""``python -m bench.http``: closed-loop load on the app's four busiest calls, against any server.

It registers its own user, onboards, seeds ``--seed`` transactions, then for each endpoint and
each concurrency runs that many clients back to back for ``--seconds`` (each client waits for
its answer before sending the next request) and prints p50/p95/p99, req/s, non-2xx and 5xx
counts. With ``--pids auto`` (the default) it also prints the CPU milliseconds per request of
each local MITA process (``mita``/``services.cli`` command lines) over each run; ``--pids
none`` for a server elsewhere, or ``--pids 12,34`` for given processes (e.g. the old backend).

The client is ``bench.http_client`` (asyncio streams over kept-alive HTTP/1.1): it spends a
few tens of microseconds per request, so it is not the bottleneck. Lift the server's rate
limits first (ours: ``MITA_RATE_LIMIT_PER_MINUTE=100000``, the most it takes), or 429s count
as errors.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import psutil

from bench.http_client import Answer, Connection

ONBOARDING = {"income": {"monthly_income": 6000}, "fixed_expenses": {"rent": 1500}}
CATEGORIES = ("food", "groceries", "transportation", "entertainment", "shopping", "coffee")
Call = Callable[[Connection], Awaitable[Answer]]


@dataclass
class Run:
    """What one (endpoint, concurrency) run measured."""

    endpoint: str
    concurrency: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    cpu_ms: dict[str, float] = field(default_factory=dict)

    def quantile(self, q: float) -> float:
        """Latency quantile in ms (nearest rank)."""
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    def line(self) -> str:
        """One printed row."""
        n = len(self.latencies)
        errors = sum(c for s, c in self.statuses.items() if not 200 <= s < 300)
        fives = sum(c for s, c in self.statuses.items() if s >= 500)
        cpu = "  ".join(f"{k} {v:.2f}" for k, v in sorted(self.cpu_ms.items(), key=lambda x: -x[1]))
        return (
            f"{self.endpoint:<10} c={self.concurrency:<3} {n / self.seconds:8.1f} req/s  "
            f"p50 {self.quantile(0.5):6.1f}  p95 {self.quantile(0.95):6.1f}  "
            f"p99 {self.quantile(0.99):6.1f} ms  non-2xx {errors:<5} 5xx {fives:<4}"
            + (f"  cpu ms/req: {cpu}" if cpu else "")
        )


class Processes:
    """CPU time of the processes whose cost per request is printed."""

    def __init__(self, spec: str) -> None:
        self.procs: dict[str, psutil.Process] = {}
        if spec == "none":
            return
        if spec == "auto":
            for proc in psutil.process_iter(["pid", "cmdline"]):
                cmd = " ".join(proc.info["cmdline"] or [])
                if "services.cli" in cmd and (" serve " in cmd or " worker " in cmd):
                    self.procs[self._name(cmd, proc.pid)] = proc
                elif any(x in cmd for x in ("tansu", "valkey-server")):
                    self.procs[cmd.split()[0].rsplit("/", 1)[-1][:12]] = proc
            return
        for pid in spec.split(","):
            proc = psutil.Process(int(pid))
            self.procs[f"{proc.name()}[{pid}]"] = proc

    @staticmethod
    def _name(cmd: str, pid: int) -> str:
        """``gateway`` / ``ledger-worker`` for one service; ``services`` / ``workers`` for
        the shared processes of ``mita up``."""
        words = cmd.split()
        for verb, many, suffix in (("serve", "services", ""), ("worker", "workers", "-worker")):
            if verb in words:
                served = words[words.index(verb) + 1 :]
                return many if len(served) > 1 else f"{served[0]}{suffix}"
        return str(pid)

    def times(self) -> dict[str, float]:
        """Seconds of CPU (user + system, children included) per process so far."""
        out: dict[str, float] = {}
        for name, proc in self.procs.items():
            try:
                t = proc.cpu_times()
                out[name] = t.user + t.system + t.children_user + t.children_system
            except psutil.Error:
                continue
        return out


async def setup(base_url: str, seed: int) -> dict[str, str]:
    """Register, onboard and seed; return the auth headers."""
    conn = Connection(base_url)
    email = f"bench-{uuid.uuid4().hex[:12]}@example.com"
    password = f"Bench-{uuid.uuid4().hex[:16]}!A1"  # a fresh strong password per run
    answer = await conn.request(
        "POST", "/api/auth/register", body={"email": email, "password": password}
    )
    if answer.status != 201:
        raise SystemExit(f"register answered {answer.status}: {answer.body[:300]!r}")
    headers = {"Authorization": f"Bearer {answer.json()['data']['access_token']}"}
    answer = await conn.request("POST", "/api/onboarding/submit", body=ONBOARDING, headers=headers)
    if answer.status != 200:
        raise SystemExit(f"onboarding answered {answer.status}: {answer.body[:300]!r}")
    await conn.close()
    pending = list(range(seed))

    async def seeder() -> None:
        own = Connection(base_url)
        while pending:
            pending.pop()
            answer = await own.request(
                "POST", "/api/transactions/", body=expense(), headers=headers
            )
            if answer.status != 201:
                raise SystemExit(f"seeding answered {answer.status}: {answer.body[:300]!r}")
        await own.close()

    await asyncio.gather(*(seeder() for _ in range(8)))
    return headers


def expense() -> dict[str, object]:
    """A transaction as the add-expense screen sends it (this month, so the calendar has it)."""
    now = dt.datetime.now(dt.UTC)
    when = now - dt.timedelta(minutes=random.randrange(0, 60 * 24 * (now.day - 1) + 1))
    return {
        "amount": round(random.uniform(1, 60), 2),
        "category": random.choice(CATEGORIES),
        "description": "bench",
        "spent_at": when.isoformat(),
    }


def calls(headers: dict[str, str]) -> dict[str, Call]:
    """The measured endpoints, as the app calls them."""
    today = dt.date.today()

    def get(path: str) -> Call:
        return lambda conn: conn.request("GET", path, headers=headers)

    async def post(conn: Connection) -> Answer:
        return await conn.request("POST", "/api/transactions/", body=expense(), headers=headers)

    return {
        "calendar": get(f"/api/calendar/saved/{today.year}/{today.month}"),
        "dashboard": get("/api/dashboard"),
        "list": get("/api/transactions/?limit=100"),
        "post": post,
    }


async def measure(
    base_url: str, endpoint: str, call: Call, concurrency: int, seconds: float, procs: Processes
) -> Run:
    """Run ``concurrency`` closed-loop clients for ``seconds``."""
    run = Run(endpoint, concurrency)
    conns = [Connection(base_url) for _ in range(concurrency)]
    for conn in conns:  # connect (and warm) outside the timed window
        await call(conn)
    before = procs.times()
    started = time.perf_counter()
    deadline = started + seconds

    async def client(conn: Connection) -> None:
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            try:
                answer = await call(conn)
                run.statuses[answer.status] += 1
            except (ConnectionError, asyncio.IncompleteReadError, OSError):
                run.statuses[0] += 1
                await conn.close()
            run.latencies.append(time.perf_counter() - t0)

    await asyncio.gather(*(client(c) for c in conns))
    run.seconds = time.perf_counter() - started
    after = procs.times()
    n = max(len(run.latencies), 1)
    run.cpu_ms = {k: (after[k] - before[k]) * 1000 / n for k in after if k in before}
    for conn in conns:
        await conn.close()
    return run


async def amain(args: argparse.Namespace) -> None:
    """Set up, run every (endpoint, concurrency) and print the table."""
    procs = Processes(args.pids)
    headers = await setup(args.base_url, args.seed)
    wanted = args.endpoints.split(",")
    print(
        f"bench.http {args.base_url}  seed={args.seed}  seconds={args.seconds:g}  "
        f"client=bench.http_client (asyncio, keep-alive)  processes: "
        f"{', '.join(procs.procs) or 'none'}",
        flush=True,
    )
    for endpoint, call in calls(headers).items():
        if endpoint not in wanted:
            continue
        for concurrency in args.concurrency:
            run = await measure(args.base_url, endpoint, call, concurrency, args.seconds, procs)
            print(run.line(), flush=True)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.http", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--concurrency", type=lambda s: [int(x) for x in s.split(",")], default=[1, 16, 64]
    )
    parser.add_argument("--seed", type=int, default=2000, help="transactions seeded first")
    parser.add_argument("--endpoints", default="calendar,dashboard,list,post")
    parser.add_argument("--pids", default="auto", help="auto, none, or comma-separated pids")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    asyncio.run(amain(parse(argv)))


if __name__ == "__main__":
    main()
