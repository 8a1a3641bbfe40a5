"""Events for the adapter tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from schemas.envelope import Source
from schemas.organisations import OrganisationRenamed
from services.registry.config import RegistrySettings

SOURCE = Source(document="Test review (2015)", passage="A passage.", locator="p. 1")


def renamed(stream_id: str, version: int, new_name: str = "New name") -> OrganisationRenamed:
    return OrganisationRenamed(
        event_id=uuid.uuid4(),
        stream_id=stream_id,
        stream_version=version,
        recorded_at=datetime.now(UTC),
        source=SOURCE,
        actor="test",
        correlation_id="corr-1",
        organisation_id=stream_id.removeprefix("organisation-"),
        previous_name=f"Name {version - 1}",
        new_name=new_name,
        stage="in_effect",
    )


def registry_settings(database_url: str, schema: str, **overrides: Any) -> RegistrySettings:
    """Settings for tests: a pool for many concurrent writers, a relay that retries quickly."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "db_schema": schema,
        "db_pool_size": 24,
        "relay_poll_interval_s": 0.2,
        "relay_lock_retry_s": 0.1,
    }
    return RegistrySettings(**{**values, **overrides})
