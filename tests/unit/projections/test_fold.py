"""The pure fold and views over the Smith events (with their corrections): no I/O."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from schemas.wire import PositionedEvent
from services.projections.domain import views
from services.projections.domain.fold import Replayed, apply, apply_isolated, fold, replay
from services.projections.domain.model import World
from services.projections.domain.ordering import standing
from services.projections.errors import NotFound, StreamOutOfOrder
from tests.support.smith import smith_events


@pytest.fixture(scope="module")
def events() -> list[PositionedEvent]:
    return list(smith_events())


@pytest.fixture(scope="module")
def smith(events: list[PositionedEvent]) -> Replayed:
    return replay(events)


def test_summary_counts_top_level_recommendations(smith: Replayed) -> None:
    summary = views.review_summary(smith.world, "smith-review")
    assert summary["by_response"] == {
        "implement_in_full": 8,
        "partially_implement": 4,
        "future_discussion": 3,
        "not_implement": 1,
    }
    assert summary["by_delivery"] == {"unknown": 16}
    assert summary["review"]["authors"] == ["Ed Smith"]
    assert summary["review"]["published"] == {"on": None, "source": None}


def test_unanswered_recommendations_count_as_no_response(events: list[PositionedEvent]) -> None:
    before_responses = fold(events[:35])
    assert views.review_summary(before_responses, "smith-review")["by_response"] == {
        "no_response": 16
    }


def test_replaying_an_event_changes_nothing(events: list[PositionedEvent]) -> None:
    world = fold(events)
    again = world.model_copy(deep=True)
    for positioned in events:
        if positioned.event.type != "RecordsCorrected":
            assert apply(again, positioned) is None
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


def test_announced_changes_are_not_current_state(smith: Replayed) -> None:
    nhsiq = views.organisation_view(smith.world, "nhs-improving-quality", [])
    assert nhsiq["status"] == "active"
    [dissolution] = nhsiq["announced"]
    assert dissolution["change"] == "dissolution" and dissolution["stage"] == "announced"
    assert dissolution["scope"] == "as a national organisation"
    scn = views.organisation_view(smith.world, "strategic-clinical-networks", [])
    assert scn["name"] == "Strategic clinical networks" and scn["former_names"] == []
    assert [a["new_name"] for a in scn["announced"]] == ["Clinical networks"]
    academy = views.organisation_view(smith.world, "nhs-leadership-academy", [])
    assert academy["status"] == "active" and academy["parent"] is None
    assert academy["accountable_to"] is None
    assert {a["change"] for a in academy["announced"]} == {"merge", "accountability"}
    boards = views.organisation_view(smith.world, "national-governing-boards", [])
    assert boards["status"] == "not_established"
    nhsi = views.organisation_view(smith.world, "nhs-improvement", [])
    assert nhsi["responsibilities"] == []
    assert {r["id"] for r in nhsi["announced_responsibilities"]} == {
        "talent-management",
        "improvement-capability-commissioning",
    }


def test_the_academy_never_holds_talent_management(smith: Replayed) -> None:
    for position in range(1, max(f.position for f, _ in smith.all_facts()) + 1):
        world = smith.as_of(bound_position=position)
        try:
            lineage = views.lineage(world, "talent-management")
        except NotFound:  # not recorded yet at that position
            continue
        assert lineage["holder"] is None
        assert all(step["stage"] == "announced" for step in lineage["handovers"])
        assert "nhs-leadership-academy" not in {
            (step["to"] or {}).get("id") for step in lineage["handovers"]
        }
    lineage = views.lineage(smith.world, "talent-management")
    [move] = lineage["announced"]
    assert (move["from"], move["to"]["id"]) == (None, "nhs-improvement")
    [correction] = lineage["corrections"]
    assert "Talent management was recorded as assigned" in correction["reason"]


def test_roles_as_the_text_says_them(smith: Replayed) -> None:
    rec7 = views.recommendation_view(smith.world, "smith-review:rec-7", [])
    assert rec7["response"]["leads"] == []
    assert {(r["organisation"]["id"], r["role"]) for r in rec7["roles"]} == {
        ("academic-health-science-networks", "not_leading"),
        ("strategic-clinical-networks", "named"),
        ("clinical-senates", "named"),
    }
    ahsns = views.organisation_view(smith.world, "academic-health-science-networks", [])
    assert "lead" not in ahsns["recommendations"]
    assert [r["id"] for r in ahsns["recommendations"]["not_leading"]] == ["smith-review:rec-7"]
    doh = views.organisation_view(smith.world, "department-of-health", [])
    assert list(doh["recommendations"]) == ["member_of"]
    boards = views.organisation_view(smith.world, "national-governing-boards", [])
    assert [r["id"] for r in boards["recommendations"]["composed_of"]] == ["smith-review:rec-3"]
    assert [r["id"] for r in boards["recommendations"]["oversees"]] == ["smith-review:rec-14"]
    academy = views.organisation_view(smith.world, "nhs-leadership-academy", [])
    subjects = {r["id"] for r in academy["recommendations"]["subject"]}
    assert {"smith-review:rec-15", "smith-review:rec-16", "smith-review:rec-13"} <= subjects
    nhsi = views.organisation_view(smith.world, "nhs-improvement", [])
    assert {r["id"] for r in nhsi["recommendations"]["recipient"]} == {
        "smith-review:rec-9",
        "smith-review:rec-13",
    }


def test_sub_points_inherit_their_parents_response(smith: Replayed) -> None:
    rec11b = views.recommendation_view(smith.world, "smith-review:rec-11b", [])
    assert rec11b["response_kind"] == "implement_in_full"
    assert rec11b["response_inherited_from"] == "smith-review:rec-11"
    board = views.board(smith.world, review="smith-review")
    [rec11] = [r for r in board if r["id"] == "smith-review:rec-11"]
    assert {s["response"] for s in rec11["sub_points"]} == {"implement_in_full"}


def test_as_of_a_date_before_the_import_answers_with_uncertainty(smith: Replayed) -> None:
    moment = datetime(2015, 6, 1, tzinfo=UTC)
    world = smith.as_of(moment=moment)
    nhse = views.organisation_view(world, "nhs-england", [])
    assert nhse["uncertain"] is True
    assert nhse["valid"]["at"] is None and nhse["valid"]["not_before"] is None
    assert nhse["valid"]["uncertain"] is True
    lineage = views.lineage(world, "talent-management")
    assert lineage["holder"] is None


def test_unknown_ids_are_not_found(smith: Replayed) -> None:
    with pytest.raises(NotFound):
        views.organisation_view(smith.world, "nobody", [])
    with pytest.raises(NotFound):
        views.recommendation_view(smith.world, "smith-review:rec-99", [])


@pytest.mark.parametrize(
    ("checkpoint", "position", "expected"),
    [(5, 5, "duplicate"), (5, 3, "duplicate"), (5, 6, "next"), (5, 8, "gap")],
)
def test_standing(checkpoint: int, position: int, expected: str) -> None:
    assert standing(checkpoint, position) == expected
