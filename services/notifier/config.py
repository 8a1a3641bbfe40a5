"""Settings of the notifier: one typed class, read from ``REMIT_*`` environment variables."""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from services.common.settings import ConsumerSettings, SqlIdentifier
from services.notifier.adapters.secret_box import DEVELOPMENT_KEY, parse_keys
from services.notifier.domain.retry import DEFAULT_SCHEDULE


class NotifierSettings(ConsumerSettings):
    # A refused setting is reported without the values given (they hold keys and passwords).
    model_config = SettingsConfigDict(hide_input_in_errors=True)

    db_schema: SqlIdentifier = "notifier"
    db_pool_pre_ping: bool = Field(
        default=False,
        description="Ping each pooled connection before use (three round trips per checkout"
        " with asyncpg: BEGIN, ping, ROLLBACK). Off: a connection broken by a database restart"
        " fails one batch, claim or outcome (retried; an unrecorded outcome's job comes back"
        " when its lease ends), and the pool is renewed.",
    )
    consumer_group: str = "remit-notifier"
    knowledge_cache_streams: int = Field(
        default=10_000,
        ge=0,
        description="Streams whose knowledge logs the consumer keeps decoded in memory between"
        " batches (least recently used out first; 0: read every log from the database each"
        " batch)",
    )
    run_workers: bool = True

    port: int = 8003
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_from: str = "remit-notifier@localhost"
    smtp_timeout_s: float = Field(default=15.0, gt=0)
    ops_email: str | None = None
    pages_base_url: str = Field(
        default="http://127.0.0.1:8004",
        pattern=r"^https?://[^/?#\s]+(/[^?#\s]*)?$",
        description="Public address of the pages for people (the projections service's"
        " `REMIT_PAGES_PORT`), which alerts link to; the development default is `make run`'s",
    )

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
    webhook_encryption_keys: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_KEY),
        description="Keys that encrypt webhook signing secrets at rest (Fernet; each 32 random"
        " bytes in URL-safe base64, e.g. from `python -m services.notifier new-encryption-key`),"
        " comma-separated, newest first: the first encrypts, every one decrypts. To rotate, put"
        " a new key first, run `python -m services.notifier reencrypt-secrets`, then drop the"
        " old one. Development has a public default; production refuses to start without its"
        " own",
    )

    @model_validator(mode="after")
    def _https_in_production(self) -> NotifierSettings:
        if self.environment == "production" and not self.webhook_require_https:
            raise ValueError("REMIT_WEBHOOK_REQUIRE_HTTPS must be true in production")
        return self

    @model_validator(mode="after")
    def _encryption_keys(self) -> NotifierSettings:
        try:
            keys = self.encryption_keys
        except ValueError as exc:  # the message names the key's place, never the key
            raise ValueError(f"REMIT_WEBHOOK_ENCRYPTION_KEYS: {exc}") from None
        if self.environment == "production" and keys[0] == parse_keys(DEVELOPMENT_KEY)[0]:
            raise ValueError(
                "REMIT_WEBHOOK_ENCRYPTION_KEYS must be set in production (the development key"
                " is public; it may follow the new key only to be re-encrypted away)"
            )
        return self

    @property
    def encryption_keys(self) -> list[str]:
        """The keys of ``webhook_encryption_keys``, newest (the one that encrypts) first."""
        return parse_keys(self.webhook_encryption_keys.get_secret_value())
