"""The probe endpoints of workers and the scheduler: health, readiness, their counters."""

from __future__ import annotations

import asyncio
import socket
from types import SimpleNamespace

import httpx
from starlette.testclient import TestClient

from shared.probe import probe_app, serve_probes, worker_registry


def test_probes_answer_and_expose_the_workers_counters() -> None:
    relay = SimpleNamespace(service="ledger", published_total=7)
    runner = SimpleNamespace(
        projection=SimpleNamespace(name="ledger_transactions"),
        consumed_total=9, applied_total=8, dead_lettered=1,
    )  # fmt: skip
    ready = [False]
    client = TestClient(
        probe_app("ledger-worker", worker_registry([relay], [runner])[0], lambda: ready[0])
    )
    assert client.get("/health").json() == {"status": "ok", "process": "ledger-worker"}
    assert client.get("/ready").status_code == 503
    ready[0] = True
    assert client.get("/ready").json()["status"] == "ok"
    text = client.get("/metrics").text
    assert 'mita_events_published_total{service="ledger"} 7.0' in text
    assert 'mita_events_applied_total{consumer="ledger_transactions"} 8.0' in text
    assert 'mita_events_consumed_total{consumer="ledger_transactions"} 9.0' in text
    assert 'mita_events_dead_lettered_total{consumer="ledger_transactions"} 1.0' in text
    relay.published_total = 10  # read at scrape time, not copied
    assert 'mita_events_published_total{service="ledger"} 10.0' in client.get("/metrics").text


async def test_serve_probes_until_stopped() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    stop = asyncio.Event()
    app = probe_app("scheduler", worker_registry([], [])[0])
    task = asyncio.create_task(serve_probes(app, "127.0.0.1", port, stop))
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            try:
                answer = await client.get(f"http://127.0.0.1:{port}/health")
                break
            except httpx.ConnectError:
                await asyncio.sleep(0.02)
        assert answer.json()["process"] == "scheduler"
    stop.set()
    await asyncio.wait_for(task, 10)
    await serve_probes(app, "127.0.0.1", 0, stop)  # port 0: nothing served
