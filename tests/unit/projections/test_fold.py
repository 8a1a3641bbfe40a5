"""The pure fold and views over the Smith events: no I/O."""

from __future__ import annotations

import pytest

from schemas.wire import PositionedEvent
from services.projections.domain import views
from services.projections.domain.fold import apply, apply_isolated, fold
from services.projections.domain.model import World
from services.projections.domain.ordering import standing
from services.projections.errors import NotFound, StreamOutOfOrder
from tests.support.smith import smith_events


@pytest.fixture(scope="module")
def events() -> list[PositionedEvent]:
    return list(smith_events())


def test_summary_counts_top_level_recommendations(events: list[PositionedEvent]) -> None:
    summary = views.review_summary(fold(events), "smith-review")
    assert summary["by_response"] == {
        "implement_in_full": 8,
        "partially_implement": 4,
        "future_discussion": 3,
        "not_implement": 1,
    }
    assert summary["by_delivery"] == {"unknown": 16}


def test_unanswered_recommendations_count_as_no_response(events: list[PositionedEvent]) -> None:
    before_responses = fold(events[:35])
    assert views.review_summary(before_responses, "smith-review")["by_response"] == {
        "no_response": 16
    }


def test_replaying_an_event_changes_nothing(events: list[PositionedEvent]) -> None:
    world = fold(events)
    again = world.model_copy(deep=True)
    for positioned in events:
        assert apply(again, positioned) is False
    assert again == world


def test_a_missing_stream_version_is_refused_and_leaves_the_world_intact(
    events: list[PositionedEvent],
) -> None:
    world = fold(events[:53])
    before = world.model_copy(deep=True)
    skipped_transfer = events[53]  # talent-management v2; drop v1 from a fresh world
    fresh = World()
    with pytest.raises(StreamOutOfOrder):
        apply_isolated(fresh, skipped_transfer)
    assert fresh == World()
    assert world == before


def test_transfer_keeps_names_as_they_were(events: list[PositionedEvent]) -> None:
    world = fold(events)
    lineage = views.lineage(world, "talent-management")
    assert [h["kind"] for h in lineage["handovers"]] == ["assigned", "transferred"]
    assert lineage["handovers"][1]["from"]["name_then"] == "NHS Leadership Academy"
    assert lineage["holder"]["id"] == "nhs-improvement"


def test_rename_keeps_former_name(events: list[PositionedEvent]) -> None:
    world = fold(events)
    org = views.organisation_view(world, "strategic-clinical-networks", [])
    assert org["name"] == "Clinical networks"
    assert org["former_names"][0]["name"] == "Strategic clinical networks"


def test_unknown_ids_are_not_found(events: list[PositionedEvent]) -> None:
    world = fold(events)
    with pytest.raises(NotFound):
        views.organisation_view(world, "nobody", [])
    with pytest.raises(NotFound):
        views.recommendation_view(world, "smith-review:rec-99", [])


@pytest.mark.parametrize(
    ("checkpoint", "position", "expected"),
    [(5, 5, "duplicate"), (5, 3, "duplicate"), (5, 6, "next"), (5, 8, "gap")],
)
def test_standing(checkpoint: int, position: int, expected: str) -> None:
    assert standing(checkpoint, position) == expected
