"""Settings of the registry service: one typed class, read from ``REMIT_*`` environment variables.

The defaults point at the local stack started by ``python -m infra up``; they are for development.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from services.common.settings import EventsAccess, ServiceSettings, SqlIdentifier


class RegistrySettings(ServiceSettings):
    db_schema: SqlIdentifier = "registry"
    db_pool_size: int = Field(
        default=20,
        ge=1,
        description="Pooled connections: one per command in flight, plus the relay's two.",
    )
    db_max_overflow: int = Field(
        default=0,
        ge=0,
        description="Extra connections beyond the pool. 0: requests beyond the pool wait for a"
        " connection instead of opening (and then closing) one each, which costs more than it"
        " saves under load.",
    )
    db_pool_pre_ping: bool = Field(
        default=False,
        description="Ping each pooled connection before use (one round trip per checkout). Off:"
        " a connection broken by a database restart fails one request, and the pool is renewed.",
    )
    kafka_request_timeout_ms: int = Field(default=10_000, ge=1_000)
    group_commit_max: int = Field(
        default=64,
        ge=1,
        description="At most this many commands decided and appended together (group commit:"
        " those that arrive while a batch is written go in the next; none waits for one to"
        " fill). 1: every command alone.",
    )

    sequencer_batch_size: int = Field(default=5_000, ge=1)
    sequencing_timeout_s: float = Field(default=5.0, gt=0)
    sequencing_retry_s: float = Field(default=0.003, gt=0)

    relay_batch_size: int = Field(default=500, ge=1)
    relay_poll_interval_s: float = Field(default=1.0, gt=0)
    relay_lock_retry_s: float = Field(default=1.0, gt=0)
    relay_backoff_initial_s: float = Field(default=0.2, gt=0)
    relay_backoff_max_s: float = Field(default=10.0, gt=0)

    write_rate_per_s: float = Field(
        default=1000.0,
        ge=0,
        description="Commands per second allowed to one token subject, on average (0: no"
        " limit); beyond it, 429 with `Retry-After`. Counted per process",
    )
    write_burst: int = Field(
        default=2000,
        ge=1,
        description="Commands one token subject may send at once above that rate",
    )

    port: int = Field(default=8001, ge=1, le=65535)
    run_relay: bool = True
    events_access: EventsAccess = "public"
    feed_requires_auth: bool = Field(
        default=False, description="Deprecated: `true` is `REMIT_EVENTS_ACCESS=token`"
    )
    projections_url: str = Field(
        default="http://127.0.0.1:8002",
        description="Where the projections service is published: the OpenAPI links from a"
        " command's answer to the read resources it changes point there",
    )

    @model_validator(mode="after")
    def _feed_closed_by_the_old_name(self) -> RegistrySettings:
        if self.feed_requires_auth:
            self.events_access = "token"
        return self
