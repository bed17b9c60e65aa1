"""Settings shared by every MITA process (pydantic-settings, env prefix ``MITA_``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.cipherkeys import key_id

INSECURE_SECRET = "dev-insecure-secret-change-me-before-prod"  # noqa: S105 - the known-bad default refused in prod

SERVICES: tuple[str, ...] = (
    "gateway", "auth", "ledger", "budget", "ocr", "insights", "notifications", "ops",
)  # fmt: skip


class InsecureConfigurationError(ValueError):
    """Raised when a production process would start with an insecure default."""


class MitaSettings(BaseSettings):
    """Infrastructure and runtime settings common to every service and worker."""

    model_config = SettingsConfigDict(env_prefix="MITA_", extra="ignore")

    environment: Literal["dev", "test", "prod"] = "dev"
    database_url: str = ""
    kafka_bootstrap: str = ""
    redis_url: str = ""
    kafka_partitions: int = Field(default=3, ge=1, le=256)
    kafka_replication_factor: int = Field(default=1, ge=1, le=16)
    # Tansu answers a waiting fetch on its timer, not on new data: a short wait bounds the lag.
    kafka_fetch_max_wait_ms: int = Field(default=20, ge=1, le=10_000)
    # Tansu holds a group join for half the session timeout; 6 s is Kafka's default minimum.
    kafka_session_timeout_ms: int = Field(default=6_000, ge=1_000, le=300_000)
    topic_prefix: str = "mita"
    schema_prefix: str = ""
    secret_key: SecretStr = SecretStr(INSECURE_SECRET)
    #: Wraps the per-user data keys (shared.crypto); empty: derived from MITA_SECRET_KEY.
    #: Set it once and keep it: rotating MITA_SECRET_KEY must not orphan the keys.
    data_key_secret: SecretStr = SecretStr("")
    #: Encrypts every event payload at rest (shared.atrest); required in prod. Rotation: the
    #: new key here, the previous ones in ``cipher_old_keys`` (comma separated) to keep reading.
    cipher_key: SecretStr = SecretStr("")
    cipher_old_keys: SecretStr = SecretStr("")
    sentry_dsn: str = ""
    log_level: str = "INFO"
    log_json: bool = True
    commit: str = "dev"
    relay_batch_size: int = Field(default=500, ge=1, le=10_000)
    relay_idle_check_seconds: float = Field(default=15.0, gt=0)
    projection_batch_size: int = Field(default=500, ge=1, le=10_000)
    projection_max_retries: int = Field(default=3, ge=0, le=100)
    # An idle consumer pauses its partitions after this long without a message, and resumes
    # on a source store's NOTIFY, or after the safety poll (bounds the wait on a missed one).
    # Postgres connections per process part (see README, "Connections"): each store's write
    # pool holds ``db_write_pool_size`` open and grows by ``db_write_pool_overflow`` under load;
    # each service's read-model pool opens one and grows to ``db_read_pool_max``.
    db_write_pool_size: int = Field(default=1, ge=1, le=100)
    db_write_pool_overflow: int = Field(default=2, ge=0, le=100)
    db_read_pool_max: int = Field(default=4, ge=1, le=100)
    consumer_pause_after_seconds: float = Field(default=1.0, gt=0, le=3600)
    consumer_idle_poll_seconds: float = Field(default=5.0, gt=0, le=3600)
    read_your_writes_timeout: float = Field(default=1.0, ge=0, le=30)
    data_dir: str = "var"
    #: The scheduler drops analysts' scratch projections (``mita events replay``) this old.
    scratch_retention_hours: float = Field(default=72.0, gt=0, le=24 * 365)
    fault_crash_after_applied: int = Field(
        default=0, ge=0, description="Fault injection for tests: SIGKILL self mid-batch."
    )

    def __init__(self, **values: Any) -> None:
        super().__init__(**values)
        # Checked after validation so callers can catch InsecureConfigurationError itself.
        self._refuse_insecure_prod()
        for key in self.cipher_keys():
            key_id(key)  # fail fast on a malformed key, not at the first write

    def _refuse_insecure_prod(self) -> None:
        """Fail fast in prod when a secret or a server address is a dev default."""
        if self.environment != "prod":
            return
        problems: list[str] = []
        secret = self.secret_key.get_secret_value()
        if secret == INSECURE_SECRET or len(secret) < 32:
            problems.append("MITA_SECRET_KEY must be set to a random value of 32+ characters")
        for name in ("database_url", "kafka_bootstrap", "redis_url"):
            if not getattr(self, name):
                problems.append(f"MITA_{name.upper()} must be set in prod")
        if not self.cipher_key.get_secret_value():
            problems.append("MITA_CIPHER_KEY must be set in prod (events are encrypted at rest)")
        if self.fault_crash_after_applied:
            problems.append("MITA_FAULT_CRASH_AFTER_APPLIED is a test hook, never set in prod")
        if problems:
            raise InsecureConfigurationError("; ".join(problems))

    @classmethod
    def namespaced(
        cls, prefix: str, database_url: str, kafka_bootstrap: str, redis_url: str, **extra: Any
    ) -> MitaSettings:
        """Test/bench settings whose schemas and topics all start with ``prefix``."""
        return cls(
            environment="test",
            database_url=database_url,
            kafka_bootstrap=kafka_bootstrap,
            redis_url=redis_url,
            schema_prefix=f"{prefix}_",
            topic_prefix=prefix,
            **extra,
        )

    def require_infra(self) -> None:
        """Fail fast when a process that needs servers has no addresses for them."""
        missing = [
            f"MITA_{n.upper()}"
            for n in ("database_url", "kafka_bootstrap", "redis_url")
            if not getattr(self, n)
        ]
        if missing:
            raise ValueError(
                f"missing {', '.join(missing)}: run `make run` (embedded servers) or set them"
            )

    def master_secret(self) -> str:
        """The secret the data keys are wrapped with."""
        return self.data_key_secret.get_secret_value() or self.secret_key.get_secret_value()

    def cipher_keys(self) -> tuple[str, ...]:
        """The at-rest cipher keys, current first (empty: events are stored in plaintext)."""
        current = self.cipher_key.get_secret_value().strip()
        if not current:
            return ()
        old = self.cipher_old_keys.get_secret_value().split(",")
        return (current, *(k.strip() for k in old if k.strip()))

    def keys_schema(self) -> str:
        """Where the per-user data keys live."""
        return self.schema_for("keys")

    def schema_for(self, service: str) -> str:
        """Return the Postgres schema that holds ``service``'s tables."""
        return f"{self.schema_prefix}{service}"

    def topic_for(self, service: str) -> str:
        """Return the Kafka topic that carries ``service``'s events."""
        return f"{self.topic_prefix}.{service}.events"

    def dead_letter_topic(self, projection: str) -> str:
        """Return the dead-letter topic of one projection."""
        return f"{self.topic_prefix}.deadletter.{projection}"

    def redis_prefix(self, area: str) -> str:
        """Redis key prefix of one area (namespaced like topics)."""
        return f"{self.topic_prefix}:{area}"


class Topology(MitaSettings):
    """Where each MITA process listens and how the others reach it.

    Read by the processes that need the whole map: the supervisor and ``serve`` (which start
    the services on their ports) and the gateway (which calls them). A service's own settings
    carry only what that service uses.
    """

    # The address the HTTP services bind to (a wildcard is reached on loopback).
    host: str = "127.0.0.1"
    gateway_port: int = Field(default=8000, ge=1, le=65535)
    auth_port: int = Field(default=8001, ge=1, le=65535)
    ledger_port: int = Field(default=8002, ge=1, le=65535)
    budget_port: int = Field(default=8003, ge=1, le=65535)
    ocr_port: int = Field(default=8004, ge=1, le=65535)
    insights_port: int = Field(default=8005, ge=1, le=65535)
    notifications_port: int = Field(default=8006, ge=1, le=65535)
    ops_port: int = Field(default=8007, ge=1, le=65535)
    gateway_url: str = ""
    auth_url: str = ""
    ledger_url: str = ""
    budget_url: str = ""
    ocr_url: str = ""
    insights_url: str = ""
    notifications_url: str = ""
    ops_url: str = ""
    embedded_redis_port: int = Field(default=6390, ge=1, le=65535)
    embedded_kafka_port: int = Field(default=19092, ge=1, le=65535)
    # How long a served HTTP connection may idle before the server closes it. The gateway's
    # pooled clients give theirs up sooner (MITA_UPSTREAM_KEEPALIVE_SECONDS), so a request is
    # never sent on a connection the service is closing (a POST there would answer 503).
    http_keep_alive_seconds: int = Field(default=75, ge=1, le=3600)

    def port_of(self, service: str) -> int:
        """Return the port ``service`` listens on (``MITA_<SERVICE>_PORT``)."""
        port: int = getattr(self, f"{service}_port")
        return port

    def url_of(self, service: str) -> str:
        """Base URL of an internal service: ``MITA_<SERVICE>_URL``, else loopback and its port."""
        explicit: str = getattr(self, f"{service}_url")
        if explicit:
            return explicit.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port_of(service)}"
