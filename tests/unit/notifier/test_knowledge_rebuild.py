"""After an upgrade that changed what knowledge is made of, it is rebuilt from the topic through
the checkpoint before the consumer goes on (fakes, no I/O)."""

from __future__ import annotations

from services.notifier.domain.knowledge import fold
from services.notifier.service_layer.knowledge_rebuild import rebuild_knowledge
from tests.support.records import garbage, records
from tests.support.smith import smith_events
from tests.unit.notifier.fakes import FakeDatabase, FakeIngestStore
from tests.unit.projections.fakes import FakeReplaySource


async def test_knowledge_is_rebuilt_through_the_checkpoint_and_only_when_due() -> None:
    events = list(smith_events())
    db = FakeDatabase(checkpoint=60, rebuild_through=60)
    source = FakeReplaySource([*records(events[:30]), garbage(30), *records(events[30:], 31)])
    assert await rebuild_knowledge(FakeIngestStore(db), source) == 60
    expected = fold(p.event for p in events if p.position <= 60)
    assert db.known.logs == expected.logs
    assert db.rebuild_through is None
    assert db.known.holder("talent-management") == "nhs-improvement"  # before the corrections
    again = FakeReplaySource(records(events))
    assert await rebuild_knowledge(FakeIngestStore(db), again) is None  # nothing due
    assert [batch async for batch in again.until_end()] != []  # and nothing read
