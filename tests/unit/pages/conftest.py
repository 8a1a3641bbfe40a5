"""The Smith review folded in memory (no I/O), and its organisation facts as the page reads
give them (as corrected; retracted ones left out)."""

from __future__ import annotations

import pytest

from services.projections.domain.fold import replay
from services.projections.domain.model import World
from services.projections.domain.views import HistoryEntry
from tests.support.smith import smith_events


@pytest.fixture(scope="session")
def world() -> World:
    return replay(smith_events()).world


@pytest.fixture(scope="session")
def org_events() -> list[HistoryEntry]:
    """Every fact of an organisation stream, corrected, in position order."""
    recorded = {p.position: p.event.recorded_at for p in smith_events()}
    return [
        HistoryEntry(
            p.position,
            p.event.type,
            p.event.stream_id,
            p.event.stream_version,
            p.event.occurred_at,
            recorded[p.position],
            p.event.model_dump(mode="json"),
        )
        for p, _ in replay(smith_events()).all_facts()
        if p.event.stream_id.startswith("organisation-")
    ]
