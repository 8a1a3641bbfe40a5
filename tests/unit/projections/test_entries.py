"""History entries share one fields-set per class, without changing what an entry is or how
it serialises."""

from __future__ import annotations

from services.projections.domain.fold import fold
from services.projections.domain.model import Change
from tests.support.smith import smith_events


def test_entries_share_a_fields_set_only_when_every_field_is_given() -> None:
    world = fold(list(smith_events()))
    steps = [h for r in world.responsibilities.values() for h in r.handovers]
    assert len({id(h.__pydantic_fields_set__) for h in steps}) == 1
    assert steps[0].__pydantic_fields_set__ == set(Change.model_fields)
    partial = Change(
        change="transfer", stage="announced", event_id="e", position=1, source=steps[0].source
    )
    assert partial.__pydantic_fields_set__ == {"change", "stage", "event_id", "position", "source"}
    again = Change.model_validate_json(steps[0].model_dump_json())
    assert again == steps[0]
    assert again.model_dump(exclude_unset=True) == steps[0].model_dump()
