"""Settings of the notifier: one typed class, read from ``REMIT_*`` environment variables."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, PostgresDsn, StringConstraints, model_validator
from pydantic_settings import SettingsConfigDict

from services.common.auth import AuthSettings
from services.notifier.domain.retry import DEFAULT_SCHEDULE

SqlIdentifier = Annotated[str, StringConstraints(pattern=r"^[a-z_][a-z0-9_]{0,62}$")]


class NotifierSettings(AuthSettings):
    model_config = SettingsConfigDict(env_prefix="REMIT_", extra="ignore")

    database_url: PostgresDsn = PostgresDsn("postgresql+asyncpg://postgres@127.0.0.1:55432/remit")
    db_schema: SqlIdentifier = "notifier"
    db_pool_size: int = Field(default=10, ge=1)

    kafka_bootstrap: str = "127.0.0.1:59092"
    events_topic: str = "remit.events"
    dead_letter_topic: str = "remit.events.dlq"
    consumer_group: str = "remit-notifier"
    consumer_batch_size: int = Field(default=500, ge=1)
    run_consumer: bool = True
    run_workers: bool = True

    host: str = "127.0.0.1"
    port: int = 8003
    max_body_bytes: int = 64 * 1024

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_from: str = "remit-notifier@localhost"
    smtp_timeout_s: float = Field(default=15.0, gt=0)
    ops_email: str | None = None

    retry_schedule_s: tuple[float, ...] = DEFAULT_SCHEDULE
    retry_jitter: float = Field(default=0.1, ge=0, le=1)
    max_retry_after_s: float = Field(default=24 * 3600, gt=0)
    http_timeout_s: float = Field(default=15.0, gt=0)
    disable_after_s: float = Field(default=5 * 24 * 3600, gt=0)
    secret_overlap_default_s: float = Field(default=24 * 3600, ge=0)

    workers: int = Field(default=16, ge=1)
    max_in_flight_per_subscription: int = Field(default=2, ge=1)
    worker_poll_s: float = Field(default=1.0, gt=0)

    webhook_allow_hosts: list[str] = []
    webhook_allow_networks: list[str] = []
    webhook_require_https: bool = False

    @model_validator(mode="after")
    def _https_in_production(self) -> NotifierSettings:
        if self.environment == "production" and not self.webhook_require_https:
            raise ValueError("REMIT_WEBHOOK_REQUIRE_HTTPS must be true in production")
        return self

    @property
    def database_dsn(self) -> str:
        return str(self.database_url)
