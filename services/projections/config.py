"""Settings of the projections service: one typed class, read from ``REMIT_*`` variables.

Defaults point at the local stack (``python -m infra up``); they are for development.
"""

from __future__ import annotations

from pydantic import Field

from services.common.settings import ConsumerSettings, EventsAccess, SqlIdentifier


class ProjectionsSettings(ConsumerSettings):
    db_schema: SqlIdentifier = "projections"
    consumer_group: str = "remit-projections"

    min_position_max_wait_s: float = Field(default=5.0, ge=0)
    min_position_poll_s: float = Field(default=0.05, gt=0)
    rebuild_batch_size: int = Field(default=5_000, ge=1)

    port: int = 8002
    pages_port: int = Field(
        default=8004,
        ge=0,
        le=65535,
        description="Port of the pages for people (HTML, served by `serve` beside the API "
        "from the same read model); 0: no pages",
    )
    events_access: EventsAccess = "public"
