"""The user-scale phase's requests: the screens timed, their checks, the in-process stack.

The gateway, auth, ledger and budget apps run in one event loop, the gateway reaching the
others over ASGI as in the e2e tests; no relays or runners run (the requests only read).
The access token is signed as auth signs it at sign-in; the gateway checks its version
against Redis, asking auth on a miss.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import time
import zoneinfo
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import redis.asyncio as aioredis
from fastapi import FastAPI

from bench.profiling import Profiler
from bench.user_scale_seed import TIMEZONE, Seeded, month_start
from services.auth.main import create_app as create_auth
from services.auth.settings import AuthSettings
from services.budget.main import create_app as create_budget
from services.budget.settings import BudgetSettings
from services.gateway.main import create_app as create_gateway
from services.gateway.settings import GatewaySettings
from services.insights.main import create_app as create_insights
from services.insights.settings import InsightsSettings
from services.ledger.main import create_app as create_ledger
from services.ledger.settings import LedgerSettings
from shared import tokens
from shared.settings import MitaSettings

PAGE = 20
DEEP_SKIP = 5_000
ZONE = zoneinfo.ZoneInfo(TIMEZONE)
Check = Callable[[Any], str | None]


@dataclass(frozen=True)
class Probe:
    """One timed request: what it stands for, its path and query, and a check of its answer."""

    label: str
    path: str
    params: dict[str, Any]
    check: Check
    target: bool = True

    @property
    def url(self) -> str:
        """The request as the app sends it."""
        query = "&".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.path}?{query}" if query else self.path


@dataclass(frozen=True)
class Timed:
    """Latencies of one probe, in milliseconds."""

    probe: Probe
    millis: list[float]

    def percentile(self, q: float) -> float:
        """Nearest-rank percentile (NaN when nothing was timed)."""
        if not self.millis:
            return math.nan
        ordered = sorted(self.millis)
        return ordered[max(math.ceil(q * len(ordered)) - 1, 0)]


def page_check(size: int, first: dt.date | None = None, last: dt.date | None = None) -> Check:
    """A transactions page: ``size`` rows, newest first, inside [first, last] user-local days."""

    def check(data: Any) -> str | None:
        if len(data) != size:
            return f"{len(data)} rows, expected {size}"
        moments = [dt.datetime.fromisoformat(r["spent_at"]) for r in data]
        if moments != sorted(moments, reverse=True):
            return "rows not newest first"
        days = {m.astimezone(ZONE).date() for m in moments}
        if first is not None and last is not None and not all(first <= d <= last for d in days):
            return f"rows outside {first}..{last}"
        return None

    return check


def calendar_check(days: int) -> Check:
    """A planned month: one entry per day, each with a limit."""

    def check(data: Any) -> str | None:
        entries = data["calendar"]
        if len(entries) != days or not all(Decimal(str(e["limit"])) > 0 for e in entries):
            return f"{len(entries)} entries (expected {days}, each with a limit > 0)"
        if not any(Decimal(str(e["spent"])) > 0 for e in entries):
            return "no spending in the month"
        return None

    return check


def dashboard_check(data: Any) -> str | None:
    """The home screen: an income, the week and the latest 10 transactions."""
    if len(data["transactions"]) != 10 or len(data["week"]) != 7:
        return f"{len(data['transactions'])} transactions, {len(data['week'])} week days"
    if Decimal(str(data["user_income"])) <= 0:
        return "no income: the month is not planned"
    return None


def probes(today: dt.date, live: int) -> list[Probe]:
    """The screens timed: month calendar, dashboard, transaction pages."""
    days = (month_start(today, -1) - dt.timedelta(days=1)).day
    first = month_start(today, 6)
    last = month_start(today, 5) - dt.timedelta(days=1)
    return [
        Probe(
            "month calendar",
            f"/api/calendar/saved/{today.year}/{today.month}",
            {},
            calendar_check(days),
        ),
        Probe("dashboard", "/api/dashboard", {}, dashboard_check),
        Probe(
            "transaction page", "/api/transactions", {"skip": 0, "limit": PAGE}, page_check(PAGE)
        ),
        Probe(
            "deep transaction page",
            "/api/transactions",
            {"skip": min(DEEP_SKIP, live // 2), "limit": PAGE},
            page_check(PAGE),
            target=False,
        ),
        Probe(
            "date-range page",
            "/api/transactions",
            {"start_date": first.isoformat(), "end_date": last.isoformat(), "limit": PAGE},
            page_check(PAGE, first, last),
            target=False,
        ),
    ]


def service_settings(settings: MitaSettings, cache: bool = True) -> dict[str, MitaSettings]:
    """Settings of each app in the phase's namespace (quiet logs, no rate limit in the way;
    without ``cache`` the insights answer cache is off)."""
    prefix = settings.topic_prefix
    urls = (settings.database_url, settings.kafka_bootstrap, settings.redis_url)
    quiet: dict[str, Any] = {"log_level": "WARNING", "log_json": False}
    return {
        "auth": AuthSettings.namespaced(prefix, *urls, **quiet),
        "ledger": LedgerSettings.namespaced(prefix, *urls, **quiet),
        "budget": BudgetSettings.namespaced(prefix, *urls, **quiet),
        "insights": InsightsSettings.namespaced(
            prefix, *urls, answer_cache_seconds=600 if cache else 0, **quiet
        ),
        "gateway": GatewaySettings.namespaced(
            prefix, *urls, rate_limit_per_minute=100_000, **quiet
        ),
    }


@contextlib.asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[FastAPI]:
    """Run an app's lifespan around a block."""
    async with app.router.lifespan_context(app):
        yield app


@contextlib.asynccontextmanager
async def gateway_client(
    settings: MitaSettings, cache: bool = True
) -> AsyncIterator[httpx.AsyncClient]:
    """The public API in-process: gateway → auth, ledger, budget and insights over ASGI."""
    cfg = service_settings(settings, cache)
    assert isinstance(cfg["auth"], AuthSettings)
    assert isinstance(cfg["gateway"], GatewaySettings)
    assert isinstance(cfg["insights"], InsightsSettings)
    upstreams = {
        "auth": create_auth(cfg["auth"]),
        "ledger": create_ledger(cfg["ledger"]),
        "budget": create_budget(cfg["budget"]),
        "insights": create_insights(cfg["insights"]),
    }
    async with contextlib.AsyncExitStack() as stack:
        for app in upstreams.values():
            await stack.enter_async_context(running(app))
        transports = {name: httpx.ASGITransport(app) for name, app in upstreams.items()}
        gateway = await stack.enter_async_context(
            running(create_gateway(cfg["gateway"], transports=transports))
        )
        yield await stack.enter_async_context(
            httpx.AsyncClient(
                transport=httpx.ASGITransport(gateway, client=("203.0.113.7", 50000)),
                base_url="http://testserver",
                timeout=60,
            )
        )


def access_token(settings: MitaSettings, seeded: Seeded) -> str:
    """An access token as auth issues it at sign-in (user scopes, current token version)."""
    ttl = AuthSettings.model_fields["access_token_ttl_seconds"].default
    token, _ = tokens.issue(
        settings.secret_key.get_secret_value(),
        user_id=seeded.user_id,
        typ="access",
        ttl=dt.timedelta(seconds=ttl),
        token_version=seeded.token_version,
        scopes=tokens.USER_SCOPES,
    )
    return token


async def timed_get(client: httpx.AsyncClient, probe: Probe, headers: dict[str, str]) -> float:
    """One request; its latency in ms (a failed or wrong answer stops the phase)."""
    start = time.perf_counter()
    answer = await client.get(probe.path, params=probe.params, headers=headers)
    elapsed = (time.perf_counter() - start) * 1000
    if answer.status_code != 200:
        raise AssertionError(f"{probe.url} answered {answer.status_code}: {answer.text[:300]}")
    return elapsed


async def measure(
    settings: MitaSettings,
    seeded: Seeded,
    requests: int,
    warmup: int,
    prof: Profiler,
    checks: list[Probe] | None = None,
    cache: bool = True,
) -> list[Timed]:
    """Time ``requests`` of each probe (default: the core screens) after ``warmup`` rounds,
    probes interleaved."""
    checks = checks if checks is not None else probes(seeded.today, seeded.live)
    headers = {"Authorization": f"Bearer {access_token(settings, seeded)}"}
    timed = [Timed(p, []) for p in checks]
    async with gateway_client(settings, cache) as client:
        for probe in checks:  # the answers are right before their speed counts
            answer = await client.get(probe.path, params=probe.params, headers=headers)
            problem = (
                probe.check(answer.json()["data"]) if answer.status_code == 200 else answer.text
            )
            if problem:
                raise AssertionError(f"{probe.url}: {problem}")
        for round_ in range(warmup + requests):
            for t in timed:
                ms = await timed_get(client, t.probe, headers)
                if round_ >= warmup:
                    t.millis.append(ms)
        if prof.enabled:  # profiled apart: the profiler's overhead must not count
            with prof.section("user scale requests"):
                for _ in range(max(requests // 4, 10)):
                    for t in timed:
                        await timed_get(client, t.probe, headers)
    return timed


async def drop_redis_keys(settings: MitaSettings) -> None:
    """Delete the namespace's Redis keys (rate limits, token versions)."""
    client = aioredis.Redis.from_url(settings.redis_url)
    try:
        keys = [k async for k in client.scan_iter(match=f"{settings.topic_prefix}:*", count=1000)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()
