"""What every Remit service is configured with; each service's ``config.py`` adds its own.

All variables carry the prefix ``REMIT_``. Defaults point at the local stack (``make run``) and
are for development; production refuses the unsafe ones (see :class:`AuthSettings`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, PostgresDsn, StringConstraints
from pydantic_settings import SettingsConfigDict

from schemas.wire import DEAD_LETTER_TOPIC, EVENTS_TOPIC
from services.common.auth import AuthSettings
from services.common.kafka import KafkaSettings

SqlIdentifier = Annotated[str, StringConstraints(pattern=r"^[a-z_][a-z0-9_]{0,50}$")]
"""A lower-case PostgreSQL identifier, safe to splice into SQL unquoted (short enough for a
``_vNNN`` suffix)."""


EventsAccess = Annotated[
    Literal["public", "token"],
    Field(
        description="Who may read the events with their actors and correlation ids: `public`"
        " (anyone: the register is open data, and who recorded a fact is part of its"
        " provenance) or `token` (the registry's feed needs a token with `events:read`; the"
        " projections withhold `actor`, `correlation_id` and `causation_id` from every answer"
        " and page)."
        " Registry and projections must agree; see docs/configuration.md#decisions"
    ),
]
"""``REMIT_EVENTS_ACCESS``, read by the registry (its feed) and the projections (actor fields)."""


class ServiceSettings(AuthSettings, KafkaSettings):
    model_config = SettingsConfigDict(env_prefix="REMIT_", extra="ignore")

    database_url: PostgresDsn = PostgresDsn("postgresql+asyncpg://postgres@127.0.0.1:55432/remit")
    db_pool_size: int = Field(default=10, ge=1)
    events_topic: str = EVENTS_TOPIC
    dlq_topic: str = DEAD_LETTER_TOPIC
    host: str = "127.0.0.1"
    max_body_bytes: int = Field(default=256 * 1024, ge=1024)

    @property
    def database_dsn(self) -> str:
        """The SQLAlchemy URL (``postgresql+asyncpg://...``) as a string."""
        return str(self.database_url)


class ConsumerSettings(ServiceSettings):
    """What a service that consumes the events topic adds (the consumer kit's knobs)."""

    consumer_group: str = "remit-consumer"
    batch_max_records: int = Field(default=500, ge=1)
    poll_timeout_ms: int = Field(default=500, ge=10)
    retry_backoff_s: float = Field(default=1.0, gt=0)
    run_consumer: bool = True
