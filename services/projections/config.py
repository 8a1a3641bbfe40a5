"""Settings of the projections service: one typed class, read from ``REMIT_*`` variables.

Defaults point at the local stack (``python -m infra up``); they are for development.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from services.common.settings import ServiceSettings, SqlIdentifier


class ProjectionsSettings(ServiceSettings):
    db_schema: SqlIdentifier = "projections"
    consumer_group: str = "remit-projections"
    batch_max_records: int = Field(default=500, ge=1)
    poll_timeout_ms: int = Field(default=500, ge=10)
    retry_backoff_s: float = Field(default=1.0, gt=0)

    min_position_max_wait_s: float = Field(default=5.0, ge=0)
    min_position_poll_s: float = Field(default=0.05, gt=0)
    rebuild_batch_size: int = Field(default=5_000, ge=1)

    port: int = 8002
    run_consumer: bool = True
    pages_port: int = Field(
        default=8004,
        ge=0,
        le=65535,
        description="Port of the pages for people (HTML, served by `serve` beside the API "
        "from the same read model); 0: no pages",
    )

    projections_crash_after_db_commit: int | None = Field(
        default=None,
        description="Test hook: SIGKILL the process right after the DB commit of the batch "
        "that reaches this position, before the Kafka offset commit. Refused in production.",
    )

    @model_validator(mode="after")
    def _no_crash_hook_in_production(self) -> ProjectionsSettings:
        if self.environment == "production" and self.projections_crash_after_db_commit:
            raise ValueError("REMIT_PROJECTIONS_CRASH_AFTER_DB_COMMIT is for tests only")
        return self
