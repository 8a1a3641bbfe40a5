"""``apply_isolated`` leaves the world as it was when a rule raises half-way."""

from __future__ import annotations

from typing import Any

import pytest

from schemas.wire import PositionedEvent
from services.projections.domain import rules
from services.projections.domain.fold import apply_isolated, fold
from services.projections.domain.model import World
from tests.support.smith import smith_events


@pytest.fixture(scope="module")
def events() -> list[PositionedEvent]:
    return list(smith_events())


def _failing(rule: Any) -> Any:
    """``rule``, then a document added and the stream's document edited, then an error."""

    def run(world: World, event: Any, position: int) -> None:
        rule(world, event, position)
        world.org(f"placeholder-{position}")
        raise RuntimeError("half-way")

    return run


def test_a_rule_that_raises_half_way_changes_nothing(
    events: list[PositionedEvent], monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = [p for p in events if p.event.type != "RecordsCorrected"]
    for cut in range(1, len(stored)):
        world = fold(stored[:cut])
        before = world.model_copy(deep=True)
        event = stored[cut].event
        rule = rules.RULES[type(event)]
        monkeypatch.setitem(rules.RULES, type(event), _failing(rule))
        with pytest.raises(RuntimeError):
            apply_isolated(world, stored[cut])
        monkeypatch.undo()
        assert world == before, f"event {cut} ({event.type}) left the world changed"
        assert list(world.organisations) == list(before.organisations)
        assert apply_isolated(world, stored[cut]) is not None


def test_isolated_fold_equals_the_plain_fold(events: list[PositionedEvent]) -> None:
    stored = [p for p in events if p.event.type != "RecordsCorrected"]
    world = World()
    for positioned in stored:
        apply_isolated(world, positioned)
    assert world == fold(stored)
    assert world.model_dump_json() == fold(stored).model_dump_json()
