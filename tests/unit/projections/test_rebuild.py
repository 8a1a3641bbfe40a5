"""A rebuild over in-memory ports (no I/O): the same read model as the live consumer's, events
that arrive while it runs included, then readers switch."""

from __future__ import annotations

from services.projections.domain.fold import fold
from services.projections.service_layer.rebuild import rebuild
from tests.support.records import garbage, records
from tests.support.smith import smith_events
from tests.unit.projections.fakes import FakeRebuildTarget, FakeReplaySource


async def test_a_rebuild_folds_the_topic_and_switches_readers() -> None:
    events = list(smith_events())
    wire = records(events)
    source = FakeReplaySource([*wire[:40], garbage(40)])
    target = FakeRebuildTarget()

    class ArrivingWhileSwitching(FakeRebuildTarget):
        def switching(self):  # type: ignore[no-untyped-def]
            source.arrive(records(events[40:], first_offset=41))
            return super().switching()

    target = ArrivingWhileSwitching()
    assert await rebuild(target, source, "test:rebuild", batch_size=15) == "v2"
    assert target.state.world == fold(events)
    assert sorted(target.state.events) == [p.position for p in events]
    checkpoint = target.state.checkpoints[("remit.events", 0)]
    assert (checkpoint.offset, checkpoint.position) == (len(events), len(events))
    [letter] = target.published
    assert (letter.kind, letter.consumer) == ("undecodable", "test:rebuild")
    assert target.active == "v2" and target.dropped_older
