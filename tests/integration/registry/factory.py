"""Events for the adapter tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from schemas.envelope import Source
from schemas.organisations import OrganisationRenamed

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
