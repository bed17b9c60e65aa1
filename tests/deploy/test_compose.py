"""docker-compose.yml read as Compose reads it (YAML merges, then ${VAR} interpolation) and then
validated by a Compose-spec parser (no engine runs here): every process, health checks, the
production infrastructure."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from compose_spec import PyCompose

from services import catalog
from shared.settings import SERVICES

ROOT = Path(__file__).resolve().parents[2]
VARIABLE = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?:(?P<op>:-|:\?)(?P<arg>[^}]*))?\}")
ENV = {
    "MITA_SECRET_KEY": "s" * 64,
    "MITA_CIPHER_KEY": "k" * 44,
    "POSTGRES_PASSWORD": "pw",
    "MITA_APP_STORE_SHARED_SECRET": "apple",
    "MITA_GOOGLE_PLAY_PACKAGE": "app.mita",
}


class Unset(ValueError):
    """A ${VAR:?message} whose variable is not set: Compose refuses to start."""


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR:?error}."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"] or ""
        if env.get(name):
            return env[name]
        if op == ":?":
            raise Unset(f"{name}: {arg}")
        return arg if op == ":-" else ""

    return VARIABLE.sub(one, value)


def loaded(env: dict[str, str]) -> dict[str, Any]:
    """The file as Compose sees it with ``env``."""
    raw = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    doc: dict[str, Any] = interpolate(raw, env)
    return doc


def test_compose_file_is_valid_and_runs_every_process() -> None:
    doc = loaded(ENV)
    compose = PyCompose.from_yaml(yaml.safe_dump(doc))  # raises on anything off-spec
    names = set(compose.service_names())
    assert {"postgres", "redis", "kafka", "scheduler"} <= names
    assert set(SERVICES) <= names
    assert {f"{s}-worker" for s in catalog.STORE_SERVICES} <= names
    services = doc["services"]
    assert services["postgres"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"
    kafka = services["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    assert kafka["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft
    for name, service in services.items():
        assert "healthcheck" in service, f"{name} has no health check"
    for name in (*SERVICES, *(f"{s}-worker" for s in catalog.STORE_SERVICES), "scheduler"):
        env = services[name]["environment"]
        assert env["MITA_ENVIRONMENT"] == "prod"
        assert env["MITA_CIPHER_KEY"] == ENV["MITA_CIPHER_KEY"]
        assert env["MITA_KAFKA_BOOTSTRAP"] == "kafka:9092"
        for infra in ("postgres", "redis", "kafka"):
            assert services[name]["depends_on"][infra]["condition"] == "service_healthy"
    assert services["scheduler"]["command"] == ["mita", "scheduler"]
    assert "9100/health" in " ".join(services["scheduler"]["healthcheck"]["test"])
    assert [p for n, s in services.items() for p in s.get("ports", [])] == ["8000:8000"]


@pytest.mark.parametrize("missing", ["MITA_SECRET_KEY", "MITA_CIPHER_KEY", "POSTGRES_PASSWORD"])
def test_compose_refuses_to_start_without_its_secrets(missing: str) -> None:
    with pytest.raises(Unset, match=missing):
        loaded({k: v for k, v in ENV.items() if k != missing})
