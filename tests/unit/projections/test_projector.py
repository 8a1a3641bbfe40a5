"""The live consumer's batch rules, over the in-memory read model (no I/O): exactly once in
effect, seek back when ahead of the checkpoint, dead letters for what cannot be used."""

from __future__ import annotations

import pytest

from schemas.wire import PositionedEvent
from services.projections.domain.fold import fold
from services.projections.errors import OutdatedReadModel
from services.projections.service_layer.projector import Projector
from tests.support.records import TOPIC, garbage, records
from tests.support.smith import smith_events
from tests.unit.projections.fakes import FakeReadModel


@pytest.fixture
def events() -> list[PositionedEvent]:
    return list(smith_events())


async def test_a_topic_projected_in_batches_is_the_fold_of_its_events(
    events: list[PositionedEvent],
) -> None:
    model, woken = FakeReadModel(), []
    project = Projector(model, "test", on_applied=lambda: woken.append(1))
    wire = records(events)
    for start in range(0, len(wire), 10):
        handled = await project(TOPIC, 0, wire[start : start + 10])
    assert handled.position == len(events) and handled.seek_to is None
    assert model.state.world == fold(events)
    assert sorted(model.state.events) == [p.position for p in events]
    assert model.state.checkpoints[(TOPIC, 0)].offset == len(events) - 1
    assert len(woken) == -(-len(events) // 10) and not model.state.dead_letters


async def test_a_redelivered_batch_changes_nothing(events: list[PositionedEvent]) -> None:
    model = FakeReadModel()
    project = Projector(model, "test")
    await project(TOPIC, 0, records(events))
    before = model.state
    handled = await project(TOPIC, 0, records(events)[20:30])
    assert (handled.applied, handled.skipped) == (0, 10)
    assert model.state == before


async def test_a_batch_past_the_checkpoint_writes_nothing_and_seeks_back(
    events: list[PositionedEvent],
) -> None:
    model = FakeReadModel()
    project = Projector(model, "test")
    await project(TOPIC, 0, records(events)[:10])
    handled = await project(TOPIC, 0, records(events)[12:20])
    assert handled.seek_to == 10
    assert model.state.checkpoints[(TOPIC, 0)].position == 10


async def test_an_undecodable_record_is_dead_lettered_and_the_rest_applied(
    events: list[PositionedEvent],
) -> None:
    model = FakeReadModel()
    project = Projector(model, "test")
    wire = [*records(events[:5]), garbage(5), *records(events[5:], first_offset=6)]
    handled = await project(TOPIC, 0, wire)
    [letter] = handled.dead
    assert (letter.kind, letter.source.offset, letter.position) == ("undecodable", 5, None)
    assert model.published == [letter] and handled.position == len(events)
    assert model.state.world == fold(events)


async def test_a_gap_is_applied_and_kept_as_an_anomaly(events: list[PositionedEvent]) -> None:
    model = FakeReadModel()
    project = Projector(model, "test")
    handled = await project(TOPIC, 0, records([*events[:5], *events[6:10]]))
    [gap] = handled.dead
    assert (gap.kind, gap.position) == ("position_gap", 7)
    assert model.published == [] and handled.position == 10  # kept, not sent to the DLQ topic


async def test_an_event_that_cannot_be_applied_is_rolled_back_alone(
    events: list[PositionedEvent],
) -> None:
    """A stream that skips a version is an apply error; what it touched is rolled back."""
    i = next(i for i, p in enumerate(events) if _last_of_its_stream(events, i) and i > 10)
    broken = PositionedEvent(events[i].event.model_copy(update={"stream_version": 7}), i + 1)
    model = FakeReadModel()
    handled = await Projector(model, "test")(
        TOPIC, 0, records([*events[:i], broken, *events[i + 1 :]])
    )
    [letter] = handled.dead
    assert (letter.kind, letter.position) == ("apply_error", i + 1)
    assert "StreamOutOfOrder" in letter.reason and model.published == [letter]
    assert i + 1 not in model.state.events and handled.position == len(events)
    assert model.state.world == fold([*events[:i], *events[i + 1 :]], strict=False)


def _last_of_its_stream(events: list[PositionedEvent], i: int) -> bool:
    return all(p.event.stream_id != events[i].event.stream_id for p in events[i + 1 :])


async def test_an_outdated_read_model_is_refused(events: list[PositionedEvent]) -> None:
    model = FakeReadModel()
    model.outdated = True
    with pytest.raises(OutdatedReadModel):
        await Projector(model, "test")(TOPIC, 0, records(events[:1]))
