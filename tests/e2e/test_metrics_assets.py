"""deploy/grafana and deploy/prometheus name only metrics that MITA's processes expose: every
panel's and every alert's metric is read off real /metrics answers (services, workers, the
scheduler) after some traffic through the gateway."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import httpx
import yaml
from prometheus_client import CollectorRegistry
from starlette.testclient import TestClient

from services.scheduler.scheduler import SchedulerMetrics
from shared.probe import probe_app, worker_registry
from tests.e2e.conftest import Stack

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
NAME = re.compile(r"\b(mita_[a-z0-9_]+)")
SUFFIXES = ("_bucket", "_count", "_sum", "_total", "_created")


def base(name: str) -> str:
    """A metric's family name (what a TYPE line declares, without sample suffixes)."""
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def exposed(text: str) -> set[str]:
    """Every metric family an exposition declares."""
    return {base(line.split()[2]) for line in text.splitlines() if line.startswith("# TYPE ")}


def dashboard_metrics() -> dict[str, set[str]]:
    """Each panel's title and the metrics its queries use."""
    doc = json.loads((DEPLOY / "grafana" / "mita-overview.json").read_text())
    return {
        p["title"]: {base(n) for t in p["targets"] for n in NAME.findall(t["expr"])}
        for p in doc["panels"]
    }


def alert_metrics() -> dict[str, set[str]]:
    """Each alert rule and the metrics its expression uses."""
    doc = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    return {
        r["alert"]: {base(n) for n in NAME.findall(r["expr"])}
        for g in doc["groups"]
        for r in g["rules"]
    }


async def test_every_panel_and_alert_metric_is_exposed(stack: Stack) -> None:
    user = await stack.register()
    headers = stack.bearer(user["access_token"])
    assert (await stack.client.get("/api/transactions/", headers=headers)).status_code == 200
    seen: set[str] = set()
    for app in (stack.ledger, stack.auth):
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
            answer = await client.get("/metrics")
            assert answer.status_code == 200
            seen |= exposed(answer.text)
    assert "mita_db_pool_size" in seen  # the read-model pool is registered while the app runs
    runner = SimpleNamespace(
        projection=SimpleNamespace(name="ledger_transactions"),
        consumed_total=1, applied_total=1, dead_lettered=0,
    )  # fmt: skip
    registry, collector = worker_registry(
        [SimpleNamespace(service="ledger", published_total=1)], [runner]
    )
    collector.lag[("ledger_transactions", "ledger")] = 0
    collector.dead["ledger_transactions"] = 0
    seen |= exposed(TestClient(probe_app("ledger-worker", registry)).get("/metrics").text)
    scheduler = CollectorRegistry()
    SchedulerMetrics(scheduler)
    seen |= exposed(TestClient(probe_app("scheduler", scheduler)).get("/metrics").text)

    panels, alerts = dashboard_metrics(), alert_metrics()
    wanted = {"API latency", "error rate", "DB pool", "slow queries", "Cache hit rate",
              "lag", "Failed tasks"}  # fmt: skip
    assert all(any(w in title for title in panels) for w in wanted), sorted(panels)
    for title, names in {**panels, **alerts}.items():
        assert names, f"{title} queries no MITA metric"
        missing = names - seen
        assert not missing, f"{title}: {sorted(missing)} not exposed"
