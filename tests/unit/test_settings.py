"""MitaSettings and the service map (Topology): defaults, env reading, prod guards, naming."""

from __future__ import annotations

import base64
import os
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from shared.cipherkeys import new_key
from shared.settings import (
    INSECURE_SECRET,
    SERVICES,
    InsecureConfigurationError,
    MitaSettings,
    Topology,
)

GOOD_SECRET = "s" * 32
PROD_OK: dict[str, Any] = {
    "environment": "prod",
    "secret_key": SecretStr(GOOD_SECRET),
    "database_url": "postgresql://db/mita",
    "kafka_bootstrap": "kafka:9092",
    "redis_url": "redis://cache:6379/0",
    "cipher_key": SecretStr(new_key()),
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No MITA_* variable of the developer's shell leaks into these tests."""
    for key in list(os.environ):
        if key.upper().startswith("MITA_"):
            monkeypatch.delenv(key)


def test_defaults() -> None:
    s = MitaSettings()
    assert s.environment == "dev"
    assert (s.database_url, s.kafka_bootstrap, s.redis_url) == ("", "", "")
    assert s.secret_key.get_secret_value() == INSECURE_SECRET
    assert s.kafka_partitions == 3
    assert s.topic_prefix == "mita"
    assert s.schema_prefix == ""
    assert s.sentry_dsn == ""
    assert s.log_level == "INFO"
    assert s.log_json is True
    assert s.relay_batch_size == 500
    assert s.projection_max_retries == 3
    assert s.fault_crash_after_applied == 0
    t = Topology()
    assert t.host == "127.0.0.1"
    assert [t.port_of(name) for name in SERVICES] == [
        8000,
        8001,
        8002,
        8003,
        8004,
        8005,
        8006,
        8007,
    ]
    # The secret never shows in a repr or a dump.
    assert INSECURE_SECRET not in repr(s)


def test_env_vars_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MITA_GATEWAY_PORT", "9100")
    monkeypatch.setenv("MITA_LEDGER_PORT", "9102")
    monkeypatch.setenv("MITA_HOST", "10.0.0.5")
    monkeypatch.setenv("MITA_TOPIC_PREFIX", "acme")
    monkeypatch.setenv("MITA_SCHEMA_PREFIX", "t1_")
    monkeypatch.setenv("MITA_LOG_JSON", "false")
    monkeypatch.setenv("MITA_KAFKA_PARTITIONS", "12")
    monkeypatch.setenv("MITA_ENVIRONMENT", "test")
    s = Topology()
    assert s.gateway_port == 9100
    assert s.url_of("gateway") == "http://10.0.0.5:9100"
    assert s.url_of("ledger") == "http://10.0.0.5:9102"
    assert s.port_of("auth") == 8001
    assert s.topic_for("ledger") == "acme.ledger.events"
    assert s.schema_for("ledger") == "t1_ledger"
    assert s.log_json is False
    assert s.kafka_partitions == 12
    assert s.environment == "test"


def test_a_service_settings_carry_no_service_map() -> None:
    from services.budget.settings import BudgetSettings
    from services.gateway.settings import GatewaySettings
    from services.ledger.settings import LedgerSettings

    for own in (LedgerSettings(), BudgetSettings(), MitaSettings()):
        assert not any(
            hasattr(own, f"{name}_{kind}") for name in SERVICES for kind in ("url", "port")
        )
        assert not hasattr(own, "host")
    assert GatewaySettings().url_of("ledger") == "http://127.0.0.1:8002"


def test_constructor_arguments_override_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MITA_TOPIC_PREFIX", "fromenv")
    assert MitaSettings(topic_prefix="explicit").topic_prefix == "explicit"


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("MITA_GATEWAY_PORT", "0"),
        ("MITA_GATEWAY_PORT", "70000"),
        ("MITA_KAFKA_PARTITIONS", "0"),
        ("MITA_RELAY_BATCH_SIZE", "0"),
        ("MITA_RELAY_IDLE_CHECK_SECONDS", "0"),
        ("MITA_ENVIRONMENT", "staging"),
        ("MITA_FAULT_CRASH_AFTER_APPLIED", "-1"),
    ],
)
def test_out_of_range_env_rejected(monkeypatch: pytest.MonkeyPatch, var: str, value: str) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(ValidationError):
        Topology()  # the service map and every common setting


def test_naming_helpers() -> None:
    s = MitaSettings(topic_prefix="p", schema_prefix="x_")
    assert s.schema_for("budget") == "x_budget"
    assert s.topic_for("budget") == "p.budget.events"
    assert s.dead_letter_topic("ledger_transactions") == "p.deadletter.ledger_transactions"
    d = Topology()
    assert d.schema_for("ledger") == "ledger"
    assert d.topic_for("ledger") == "mita.ledger.events"
    assert d.url_of("insights") == "http://127.0.0.1:8005"
    with pytest.raises(AttributeError):
        d.port_of("nope")


def test_url_of_prefers_explicit_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MITA_LEDGER_URL", "http://ledger.internal:80/")
    s = Topology(ledger_port=9999)
    assert s.url_of("ledger") == "http://ledger.internal:80"
    assert s.url_of("budget") == "http://127.0.0.1:8003"


@pytest.mark.parametrize("wildcard", ["0.0.0.0", "::", ""])
def test_url_of_never_targets_a_wildcard_bind(wildcard: str) -> None:
    s = Topology(host=wildcard, auth_port=7001)
    assert s.url_of("auth") == "http://127.0.0.1:7001"


def test_prod_refuses_defaults() -> None:
    with pytest.raises(ValueError, match="prod") as info:
        MitaSettings(environment="prod")
    text = str(info.value)
    assert "MITA_SECRET_KEY must be set to a random value of 32+ characters" in text
    assert "MITA_DATABASE_URL must be set in prod" in text
    assert "MITA_KAFKA_BOOTSTRAP must be set in prod" in text
    assert "MITA_REDIS_URL must be set in prod" in text


@pytest.mark.parametrize("secret", [INSECURE_SECRET, "short", "x" * 31])
def test_prod_refuses_weak_secret(secret: str) -> None:
    with pytest.raises(ValueError, match="MITA_SECRET_KEY") as info:
        MitaSettings(**{**PROD_OK, "secret_key": SecretStr(secret)})
    assert "MITA_DATABASE_URL" not in str(info.value)


@pytest.mark.parametrize("missing", ["database_url", "kafka_bootstrap", "redis_url"])
def test_prod_refuses_missing_url(missing: str) -> None:
    with pytest.raises(ValueError, match=f"MITA_{missing.upper()} must be set in prod") as info:
        MitaSettings(**{**PROD_OK, missing: ""})
    assert "MITA_SECRET_KEY" not in str(info.value)


def test_prod_refuses_fault_hook() -> None:
    with pytest.raises(ValueError, match="MITA_FAULT_CRASH_AFTER_APPLIED is a test hook"):
        MitaSettings(**{**PROD_OK, "fault_crash_after_applied": 5})


def test_prod_accepts_good_config(monkeypatch: pytest.MonkeyPatch) -> None:
    s = MitaSettings(**PROD_OK)
    assert s.environment == "prod"
    s.require_infra()
    monkeypatch.setenv("MITA_ENVIRONMENT", "prod")
    monkeypatch.setenv("MITA_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("MITA_DATABASE_URL", "postgresql://db/mita")
    monkeypatch.setenv("MITA_KAFKA_BOOTSTRAP", "kafka:9092")
    monkeypatch.setenv("MITA_REDIS_URL", "redis://cache/0")
    monkeypatch.setenv("MITA_CIPHER_KEY", new_key())
    from_env = MitaSettings()
    assert from_env.secret_key.get_secret_value() == "k" * 40


def test_prod_refuses_plaintext_events() -> None:
    with pytest.raises(InsecureConfigurationError, match="MITA_CIPHER_KEY must be set"):
        MitaSettings(**{**PROD_OK, "cipher_key": SecretStr("")})


@pytest.mark.parametrize("bad", ["not base64!", "c2hvcnQ=", base64.b64encode(b"x" * 20).decode()])
def test_malformed_cipher_keys_fail_fast(bad: str) -> None:
    with pytest.raises(ValueError, match="cipher key must be"):
        MitaSettings(environment="test", cipher_key=bad)
    with pytest.raises(ValueError, match="cipher key must be"):
        MitaSettings(environment="test", cipher_key=new_key(), cipher_old_keys=f" {bad} ")


def test_cipher_keys_current_first() -> None:
    assert MitaSettings(environment="test").cipher_keys() == ()
    new, old1, old2 = new_key(), new_key(), new_key()
    both = MitaSettings(environment="test", cipher_key=new, cipher_old_keys=f"{old1}, {old2},")
    assert both.cipher_keys() == (new, old1, old2)


def test_non_prod_tolerates_dev_defaults() -> None:
    for environment in ("dev", "test"):
        s = MitaSettings(environment=environment, fault_crash_after_applied=3)
        assert s.secret_key.get_secret_value() == INSECURE_SECRET


def test_prod_error_is_insecure_configuration_error() -> None:
    with pytest.raises(InsecureConfigurationError):
        MitaSettings(environment="prod")


def test_require_infra_names_what_is_missing() -> None:
    with pytest.raises(ValueError, match="make run") as info:
        MitaSettings().require_infra()
    assert str(info.value).startswith(
        "missing MITA_DATABASE_URL, MITA_KAFKA_BOOTSTRAP, MITA_REDIS_URL:"
    )
    with pytest.raises(ValueError, match=r"^missing MITA_REDIS_URL:"):
        MitaSettings(database_url="postgresql://x", kafka_bootstrap="k:1").require_infra()
    MitaSettings(
        database_url="postgresql://x", kafka_bootstrap="k:1", redis_url="r"
    ).require_infra()


def test_gateway_keeps_pooled_connections_shorter_than_the_services_do() -> None:
    """The gateway drops an idle connection before a service would close it; a setting that
    lets the service close first (a POST sent there answers 503) is refused at start."""
    from services.gateway.settings import GatewaySettings

    ok = GatewaySettings()
    assert ok.upstream_keepalive_seconds < ok.http_keep_alive_seconds
    with pytest.raises(ValidationError, match="MITA_UPSTREAM_KEEPALIVE_SECONDS"):
        GatewaySettings(upstream_keepalive_seconds=75, http_keep_alive_seconds=75)
