"""Settings of the registry service: one typed class, read from ``REMIT_*`` environment variables.

The defaults point at the local stack started by ``python -m infra up``; they are for development.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, PostgresDsn, StringConstraints
from pydantic_settings import SettingsConfigDict

from services.common.auth import AuthSettings

SqlIdentifier = Annotated[str, StringConstraints(pattern=r"^[a-z_][a-z0-9_]{0,62}$")]
"""A lower-case PostgreSQL identifier, safe to splice into SQL text unquoted."""


class RegistrySettings(AuthSettings):
    model_config = SettingsConfigDict(env_prefix="REMIT_", extra="ignore")

    database_url: PostgresDsn = PostgresDsn("postgresql+asyncpg://postgres@127.0.0.1:55432/remit")
    db_schema: SqlIdentifier = "registry"
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)

    kafka_bootstrap: str = "127.0.0.1:59092"
    events_topic: str = "remit.events"
    kafka_request_timeout_ms: int = Field(default=10_000, ge=1_000)

    sequencer_batch_size: int = Field(default=5_000, ge=1)
    sequencing_timeout_s: float = Field(default=5.0, gt=0)
    sequencing_retry_s: float = Field(default=0.003, gt=0)

    relay_batch_size: int = Field(default=500, ge=1)
    relay_poll_interval_s: float = Field(default=1.0, gt=0)
    relay_lock_retry_s: float = Field(default=1.0, gt=0)
    relay_backoff_initial_s: float = Field(default=0.2, gt=0)
    relay_backoff_max_s: float = Field(default=10.0, gt=0)

    port: int = Field(default=8001, ge=1, le=65535)
    run_relay: bool = True
    max_body_bytes: int = Field(default=256 * 1024, ge=1024)
    feed_requires_auth: bool = False

    @property
    def database_dsn(self) -> str:
        """The SQLAlchemy URL (``postgresql+asyncpg://...``) as a string."""
        return str(self.database_url)
