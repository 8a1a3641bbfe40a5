"""Settings of the notifier: one typed class, read from ``REMIT_*`` environment variables."""

from __future__ import annotations

from pydantic import Field, model_validator

from services.common.settings import ConsumerSettings, SqlIdentifier
from services.notifier.domain.retry import DEFAULT_SCHEDULE


class NotifierSettings(ConsumerSettings):
    db_schema: SqlIdentifier = "notifier"
    db_pool_pre_ping: bool = Field(
        default=False,
        description="Ping each pooled connection before use (three round trips per checkout"
        " with asyncpg: BEGIN, ping, ROLLBACK). Off: a connection broken by a database restart"
        " fails one batch, claim or outcome (retried; an unrecorded outcome's job comes back"
        " when its lease ends), and the pool is renewed.",
    )
    consumer_group: str = "remit-notifier"
    run_workers: bool = True

    port: int = 8003
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)

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

    min_position_max_wait_s: float = Field(default=5.0, ge=0)
    min_position_poll_s: float = Field(default=0.05, gt=0)

    workers: int = Field(default=16, ge=1)
    max_in_flight_per_subscription: int = Field(default=2, ge=1)
    worker_poll_s: float = Field(default=1.0, gt=0)

    subscription_rate_per_s: float = Field(
        default=20.0,
        ge=0,
        description="Subscription and delivery management requests per second allowed to one"
        " token subject, on average (0: no limit); beyond it, 429 with `Retry-After`",
    )
    subscription_burst: int = Field(
        default=100, ge=1, description="Requests one token subject may make at once above that rate"
    )

    webhook_allow_hosts: list[str] = []
    webhook_allow_networks: list[str] = []
    webhook_require_https: bool = False

    @model_validator(mode="after")
    def _https_in_production(self) -> NotifierSettings:
        if self.environment == "production" and not self.webhook_require_https:
            raise ValueError("REMIT_WEBHOOK_REQUIRE_HTTPS must be true in production")
        return self
