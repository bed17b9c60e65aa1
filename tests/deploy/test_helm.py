"""deploy/helm/mita rendered and linted with Helm's own Go SDK (helm-python-sdk, no binary), each
manifest validated against the Kubernetes schema (kubernetes-validate), and the shape checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import helm_python as helm
import kubernetes_validate
import pytest
import yaml

from services import catalog
from shared.settings import SERVICES

CHART = Path(__file__).resolve().parents[2] / "deploy" / "helm" / "mita"
KUBERNETES = "1.30"
VALUES: dict[str, Any] = {
    "secrets": {
        "secretKey": "s" * 64,
        "cipherKey": "k" * 44,
        "databaseUrl": "postgresql://mita:pw@postgres.db:5432/mita",
        "redisUrl": "redis://redis.cache:6379/0",
    },
    "external": {"kafkaBootstrap": "kafka-0.kafka:9092,kafka-1.kafka:9092"},
}


def rendered(values: dict[str, Any]) -> list[dict[str, Any]]:
    """Every manifest the chart renders with ``values``."""
    with helm.Chart.load(CHART) as chart:
        files = chart.render(values, name="mita", namespace="mita")
    return [d for text in files.values() for d in yaml.safe_load_all(text) if d]


def by_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    """The manifests of one kind, by name."""
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def test_chart_lints_clean() -> None:
    report = helm.lint(CHART, VALUES, strict=True)
    assert report["errors"] == []
    assert all(m["severity"] <= 1 for m in report["messages"]), report["messages"]


def test_every_manifest_is_valid_kubernetes() -> None:
    docs = rendered(VALUES)
    assert len(docs) > 40
    for doc in docs:
        kubernetes_validate.validate(doc, KUBERNETES, strict=True)


def test_a_deployment_and_service_per_http_service_a_deployment_per_worker() -> None:
    docs = rendered(VALUES)
    deployments, services = by_kind(docs, "Deployment"), by_kind(docs, "Service")
    hpas, pdbs = by_kind(docs, "HorizontalPodAutoscaler"), by_kind(docs, "PodDisruptionBudget")
    for name in SERVICES:
        deployment = deployments[f"mita-{name}"]
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["args"] == ["mita", "serve", name]
        assert container["livenessProbe"]["httpGet"]["path"] == "/health"
        assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
        assert {"requests", "limits"} <= set(container["resources"])
        assert (
            services[f"mita-{name}"]["spec"]["ports"][0]["port"]
            == container["ports"][0]["containerPort"]
        )
        assert f"mita-{name}" in pdbs or name == "ops"
        refs = {next(iter(r.values()))["name"] for r in container["envFrom"]}
        assert refs == {"mita-config", "mita-secrets"}
    for name, hpa in hpas.items():
        spec = hpa["spec"]
        assert (spec["minReplicas"], spec["maxReplicas"]) == (3, 10), name
        target = spec["metrics"][0]["resource"]["target"]
        assert (target["type"], target["averageUtilization"]) == ("Utilization", 70)
    assert set(hpas) == {f"mita-{s}" for s in SERVICES if s != "ops"}
    assert deployments["mita-ops"]["spec"]["replicas"] == 1  # rebuild jobs live in-process
    for service in catalog.STORE_SERVICES:
        worker = deployments[f"mita-{service}-worker"]
        container = worker["spec"]["template"]["spec"]["containers"][0]
        assert container["args"] == ["mita", "worker", service]
        assert container["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "probes"}
    scheduler = deployments["mita-scheduler"]["spec"]
    assert scheduler["template"]["spec"]["containers"][0]["args"] == ["mita", "scheduler"]
    assert scheduler["replicas"] == 2  # safe: one leads (advisory lock)


def test_config_and_secret_wiring() -> None:
    docs = rendered(VALUES)
    config = by_kind(docs, "ConfigMap")["mita-config"]["data"]
    assert config["MITA_ENVIRONMENT"] == "prod"
    assert config["MITA_KAFKA_BOOTSTRAP"] == VALUES["external"]["kafkaBootstrap"]
    assert config["MITA_LEDGER_URL"] == "http://mita-ledger:8002"
    assert not any("SECRET" in k or "CIPHER" in k or "DATABASE" in k for k in config)
    secret = by_kind(docs, "Secret")["mita-secrets"]["stringData"]
    assert secret["MITA_CIPHER_KEY"] == VALUES["secrets"]["cipherKey"]
    assert secret["MITA_DATABASE_URL"] == VALUES["secrets"]["databaseUrl"]
    external = rendered({**VALUES, "secrets": {"existingSecret": "vault-mita"}})
    assert by_kind(external, "Secret") == {}
    container = by_kind(external, "Deployment")["mita-gateway"]["spec"]["template"]["spec"][
        "containers"
    ][0]
    assert {"secretRef": {"name": "vault-mita"}} in container["envFrom"]


@pytest.mark.parametrize("missing", ["secretKey", "cipherKey", "databaseUrl", "redisUrl"])
def test_the_chart_refuses_to_render_without_a_secret(missing: str) -> None:
    secrets = {k: v for k, v in VALUES["secrets"].items() if k != missing}
    with pytest.raises(helm.HelmError, match=missing):
        rendered({**VALUES, "secrets": secrets})
