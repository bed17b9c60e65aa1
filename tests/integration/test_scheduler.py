"""The scheduler on real Postgres: two of them, one leader, one run per tick, failover, the
services' jobs themselves (rollover, retries, retention) run through it."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from services import catalog, cli_ops
from services.cli import main as cli_main
from services.scheduler.scheduler import Scheduler, SchedulerMetrics
from shared import db
from shared.bootstrap import JobSpec
from shared.cipherkeys import key_id
from shared.replay import SCRATCH_COMMENT, drop_schema, sweep_scratch
from shared.settings import MitaSettings
from tests.helpers import drop_schemas, settings_env


@pytest.fixture
async def scheduler_schema(settings: MitaSettings) -> AsyncIterator[str]:
    """The scheduler's schema of this test, dropped afterwards."""
    yield settings.schema_for("scheduler")
    await drop_schemas(settings, "scheduler")


async def _until(check: object, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_two_schedulers_one_run_per_tick_and_failover(
    settings: MitaSettings, scheduler_schema: str
) -> None:
    runs: list[tuple[str, float]] = []

    def job(label: str) -> JobSpec:
        async def work(_: MitaSettings) -> str:
            runs.append((label, time.time()))
            await asyncio.sleep(0.05)  # both schedulers are awake during it
            return "done"

        return JobSpec(label, 0.25, work)

    failing_calls = 0

    async def broken(_: MitaSettings) -> str:
        nonlocal failing_calls
        failing_calls += 1
        raise RuntimeError("this job is broken")

    jobs = [job("tick"), JobSpec("broken", 0.25, broken)]
    registries = [CollectorRegistry(), CollectorRegistry()]
    a, b = (
        Scheduler(settings, jobs, poll_seconds=0.05, metrics=SchedulerMetrics(r))
        for r in registries
    )
    stop_a, stop_b = asyncio.Event(), asyncio.Event()
    task_a = asyncio.create_task(a.run(stop_a))
    task_b = asyncio.create_task(b.run(stop_b))
    try:
        await _until(lambda: len(a.ran) + len(b.ran) >= 12)
        assert [bool(a.ran), bool(b.ran)].count(True) == 1, "exactly one of them leads"
        leader, follower = (a, b) if a.ran else (b, a)
        stop_leader = stop_a if leader is a else stop_b
        ticks = [t for name, t in leader.ran if name == "tick"]
        assert len(ticks) == len(set(ticks)), "no tick twice"
        assert failing_calls == len([t for name, t in leader.ran if name == "broken"])
        stop_leader.set()  # the leader goes away: its session ends, its lock with it
        await (task_a if leader is a else task_b)
        before = len(follower.ran)
        await _until(lambda: len(follower.ran) >= before + 4)
    finally:
        stop_a.set()
        stop_b.set()
        await asyncio.gather(task_a, task_b)
    every = [t for s in (a, b) for name, t in s.ran if name == "tick"]
    assert len(every) == len(set(every)), "one run per tick across the failover"
    conn = await db.connect(settings.database_url)
    try:
        cur = await conn.execute(
            sql.SQL("SELECT job, tick, outcome, detail FROM {}.job_runs").format(
                sql.Identifier(scheduler_schema)
            )
        )
        rows = await cur.fetchall()
    finally:
        await conn.close()
    assert sorted(r["tick"] for r in rows if r["job"] == "tick") == sorted(every)
    assert {r["outcome"] for r in rows if r["job"] == "tick"} == {"succeeded"}
    assert {r["outcome"] for r in rows if r["job"] == "broken"} == {"failed"}
    assert any("this job is broken" in r["detail"] for r in rows)
    text = b"".join(generate_latest(r) for r in registries).decode()
    assert 'mita_scheduler_job_runs_total{job="broken",outcome="failed"}' in text
    assert 'mita_scheduler_job_runs_total{job="tick",outcome="succeeded"}' in text


async def test_one_turn_runs_only_what_is_due(
    settings: MitaSettings, scheduler_schema: str
) -> None:
    count = 0

    async def work(_: MitaSettings) -> str:
        nonlocal count
        count += 1
        return "ok"

    now = [3600.0 * 300]
    sched = Scheduler(settings, [JobSpec("hourly", 3600, work)], clock=lambda: now[0])
    async with await db.connect(settings.database_url) as conn:
        await sched.setup(conn)
    try:
        assert await sched.run_due() == 1
        assert await sched.run_due() == 0  # same hour
        now[0] += 1800
        assert await sched.run_due() == 0
        now[0] += 1800
        assert await sched.run_due() == 1  # the next hour
        assert count == 2
    finally:
        await sched.leader.close()


def test_every_service_job_is_declared_once() -> None:
    assert set(catalog.JOBS) == {
        "budget_rollover", "challenges_settle", "daily_advice", "insights_refit",
        "dead_letter_retries", "scratch_retention",
    }  # fmt: skip
    assert all(j.every_seconds >= 600 for j in catalog.JOBS.values())


async def test_the_operational_jobs_run(
    settings: MitaSettings, conn: AsyncConnection[DictRow]
) -> None:
    old, fresh, foreign = (settings.schema_for(f"scratch_{n}") for n in ("old", "fresh", "other"))
    made = dt.datetime.now(dt.UTC)
    for schema, when in (
        (old, made - dt.timedelta(days=5)),
        (fresh, made - dt.timedelta(minutes=10)),
    ):
        await db.ensure_schema(conn, schema)
        note = sql.Literal(f"{SCRATCH_COMMENT}{when.isoformat()}")
        await conn.execute(
            sql.SQL("COMMENT ON SCHEMA {} IS {}").format(sql.Identifier(schema), note)
        )
    await db.ensure_schema(conn, foreign)  # no stamp: not the retention's to drop
    await conn.commit()
    try:
        assert await sweep_scratch(conn, settings, dt.timedelta(hours=72)) == [old]
        said = await catalog.JOBS["scratch_retention"].run(
            settings.model_copy(update={"scratch_retention_hours": 0.1})
        )
        assert said == "dropped 1 scratch schema(s)"  # 10 minutes old: past a 6-minute retention
        cur = await conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname = ANY(%s)", ([old, fresh, foreign],)
        )
        assert [r["nspname"] for r in await cur.fetchall()] == [foreign]
        await conn.commit()
        said = await catalog.JOBS["dead_letter_retries"].run(settings)
        assert said == "0 re-driven, 0 still failing"
    finally:
        for schema in (old, fresh, foreign):
            await drop_schema(conn, schema)


async def test_the_scheduler_command_runs_each_job_once_per_tick(
    settings: MitaSettings,
    scheduler_schema: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in settings_env(settings).items():
        monkeypatch.setenv(name, value)
    assert await cli_ops.scheduler(0.1, once=True) == 0
    assert await cli_ops.scheduler(0.1, once=True) == 0  # the same tick: nothing is due
    said = capsys.readouterr().out.splitlines()
    assert said == [f"ran {len(catalog.JOBS)} job(s)", "ran 0 job(s)"]
    conn = await db.connect(settings.database_url)
    try:
        cur = await conn.execute(
            sql.SQL("SELECT job, outcome, detail FROM {}.job_runs ORDER BY job").format(
                sql.Identifier(scheduler_schema)
            )
        )
        rows = {r["job"]: (r["outcome"], r["detail"]) for r in await cur.fetchall()}
        assert set(rows) == set(catalog.JOBS)
        assert rows["budget_rollover"] == ("succeeded", "planned 0 month(s)")
        assert rows["dead_letter_retries"] == ("succeeded", "0 re-driven, 0 still failing")
        for schema in ("budget", "insights", "keys"):
            await drop_schema(conn, settings.schema_for(schema))
    finally:
        await conn.close()


def test_keys_new_prints_a_usable_key(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["keys", "new"]) == 0
    key = capsys.readouterr().out.strip()
    assert len(key_id(key)) == 8
    assert MitaSettings(environment="test", cipher_key=key).cipher_keys() == (key,)
