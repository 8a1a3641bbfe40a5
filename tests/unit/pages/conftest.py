"""The Smith review folded in memory (no I/O), and its organisation events as histories."""

from __future__ import annotations

import pytest

from services.projections.domain.fold import fold
from services.projections.domain.model import World
from services.projections.domain.views import HistoryEntry
from tests.support.smith import smith_events


@pytest.fixture(scope="session")
def world() -> World:
    return fold(list(smith_events()))


@pytest.fixture(scope="session")
def org_events() -> list[HistoryEntry]:
    """Every event of an organisation stream, as the store's history rows carry them."""
    return [
        HistoryEntry(
            p.position,
            p.event.type,
            p.event.stream_id,
            p.event.stream_version,
            p.event.occurred_at,
            p.event.recorded_at,
            p.event.model_dump(mode="json"),
        )
        for p in smith_events()
        if p.event.stream_id.startswith("organisation-")
    ]
