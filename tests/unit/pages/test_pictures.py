"""The lineage and family pictures of the Smith review: what they draw, and that they say it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

from services.projections.domain import views
from services.projections.domain.model import World
from services.projections.domain.views import HistoryEntry
from services.projections.entrypoints.pages.pictures import draw, family, lineage
from services.projections.entrypoints.pages.pictures.model import Column, Lane, Mark, Picture

SVG = "{http://www.w3.org/2000/svg}"


def _names(world: World) -> dict[str, str]:
    return {o.id: o.name for o in world.organisations.values() if o.name}


def _lineage(world: World, org_events: list[HistoryEntry], rid: str) -> Picture:
    view = views.lineage(world, rid)
    return lineage.picture(view, org_events, _names(world), "now")


def test_talent_management_is_only_announced_to_go_to_nhs_improvement(
    world: World, org_events: list[HistoryEntry]
) -> None:
    """The corrected record: nobody is known to hold it; the move is announced, from a body
    the text does not name (the Academy's holding was retracted)."""
    picture = _lineage(world, org_events, "talent-management")
    assert [lane.id for lane in picture.lanes] == ["nhs-improvement"]
    [announced] = picture.bars
    assert (announced.lane, announced.style, announced.end) == (
        "nhs-improvement",
        "announced",
        None,
    )
    assert "is announced, not yet in effect" in announced.sentence
    assert picture.links == []
    assert "held now by no known body" in picture.summary
    assert picture.columns[-1].heading == "now"


def test_a_proposal_not_followed_is_drawn_apart_from_holding(
    world: World, org_events: list[HistoryEntry]
) -> None:
    picture = _lineage(world, org_events, "improvement-capability-commissioning")
    styles = {(b.lane, b.style) for b in picture.bars}
    assert styles == {("nhs-improvement", "announced"), ("nhs-leadership-academy", "proposed")}
    sentences = [text for _, text in picture.facts()]
    assert "It had been proposed for NHS Leadership Academy; that was not followed." in sentences


def test_the_family_of_the_smith_bodies(world: World, org_events: list[HistoryEntry]) -> None:
    """Every change to a Smith body is announced: marked where announced, none drawn as done;
    the boards' establishment is announced, so their bar is too."""
    bodies = [
        views.organisation_summary(world, o)
        for o in world.organisations.values()
        if o.registered_position is not None
    ]
    picture = family.picture("Smith bodies", bodies, org_events, "now")
    assert all(lane.depth == 0 for lane in picture.lanes)  # nobody is part of another yet
    assert picture.columns[0].heading == "first recorded"
    marks = {(m.lane, m.kind) for m in picture.marks}
    assert marks == {
        ("nhs-improving-quality", "announcement"),
        ("nhs-leadership-academy", "announcement"),
        ("strategic-clinical-networks", "announcement"),
    }
    sentences = [m.sentence for m in picture.marks]
    assert (
        "Announced: Strategic clinical networks will take the name “Clinical networks”."
        in sentences
    )
    assert picture.links == []
    assert all(b.end is None for b in picture.bars)
    styles = {b.lane: b.style for b in picture.bars}
    assert styles.pop("national-governing-boards") == "announced"
    assert set(styles.values()) == {"in_effect"}
    assert len(picture.facts()) == len(picture.bars) + len(picture.marks) + len(picture.links)


def test_the_svg_is_one_named_image_with_its_text_escaped() -> None:
    picture = Picture(
        "A <title> & more",
        "Summary",
        [Column("position 1", "recorded 1 Jan 2026", 1), Column("now", "")],
        lanes=[Lane("a", "Body <A> & Co")],
        marks=[Mark("a", 0, "renamed", "renamed “<B>”", "A was renamed <B>.")],
    )
    root = ElementTree.fromstring(draw.svg(picture, "pic"))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "pic-title pic-desc"
    assert root.find(f"{SVG}title").text == "A <title> & more"  # type: ignore[union-attr]
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert "Body <A> & Co" in texts and "renamed “<B>”" in texts
    assert "first recorded" not in texts  # legend lists only what is drawn
    assert "renamed" in texts


def _step(position: int, to: str, **extra: object) -> dict[str, object]:
    base: dict[str, object] = {
        "kind": "transferred",
        "from": {"id": "a", "name_then": "A", "name_now": "A"},
        "to": {"id": to, "name_then": to.upper(), "name_now": to.upper()},
        "instead_of": None,
        "reason": None,
        "position": position,
        "occurred_at": None,
        "recorded_at": "2026-01-01T00:00:00+00:00",
    }
    return base | extra


def test_an_announced_move_is_drawn_apart_and_the_holder_still_holds() -> None:
    first = _step(1, "a", kind="assigned", **{"from": None})
    view = {
        "id": "r",
        "description": "R",
        "holder": {"id": "a", "name": "A"},
        "handovers": [first, _step(3, "b", stage="announced")],
    }
    picture = lineage.picture(view, [], {"a": "A", "b": "B"}, "now")
    bars = {(b.lane, b.style, b.end) for b in picture.bars}
    assert bars == {("a", "in_effect", None), ("b", "announced", None)}
    assert any("announced, not yet in effect" in text for _, text in picture.facts())


def test_a_move_announced_before_it_took_effect_shows_both() -> None:
    took = _step(3, "b", stage="took_effect", settled_position=5)
    view = {"id": "r", "description": "R", "holder": None, "handovers": [_step(1, "a"), took]}
    picture = lineage.picture(view, [], {}, "now")
    columns = [c.position for c in picture.columns]
    assert columns == [1, 3, 5, None]
    bars = {(b.lane, b.style, b.start, b.end) for b in picture.bars}
    assert bars == {("a", "in_effect", 0, 2), ("b", "announced", 1, 2), ("b", "in_effect", 2, None)}


def test_the_newer_read_model_shape_is_drawn_too() -> None:
    """Steps named by ``change`` with valid times instead of kind and timestamps, and the
    pending ones listed again under ``announced``."""
    valid = {"at": None, "not_before": None, "not_after": "2026-01-02T00:00:00+00:00"}
    given = {
        "change": "assignment",
        "stage": "in_effect",
        "event_id": "e1",
        "position": 1,
        "valid": valid,
        "to": {"id": "a", "name_then": "A", "name_now": "A"},
        "from": None,
        "instead_of": None,
        "reason": None,
    }
    pending = {
        **given,
        "change": "transfer",
        "stage": "announced",
        "event_id": "e2",
        "position": 2,
        "to": {"id": "b", "name_then": "B", "name_now": "B"},
        "from": given["to"],
    }
    view = {
        "id": "r",
        "description": "R",
        "holder": {"id": "a", "name": "A"},
        "handovers": [given, pending],
        "announced": [pending],
    }
    picture = lineage.picture(view, [], {}, "now")
    assert picture.columns[0].when == "recorded 2 Jan 2026"
    assert {(b.lane, b.style) for b in picture.bars} == {("a", "in_effect"), ("b", "announced")}
    assert [m.label for m in picture.marks] == ["given"]


def _event(position: int, kind: str, stream: str, **payload: object) -> HistoryEntry:
    recorded = datetime(2026, 1, position, tzinfo=UTC)
    return HistoryEntry(position, kind, f"organisation-{stream}", 1, None, recorded, payload)


def _announced(
    position: int, kind: str, body: str, event_id: str, **payload: object
) -> HistoryEntry:
    """The announced change ``event_id`` of ``body`` (its stream and organisation_id)."""
    fields = {"organisation_id": body, **payload, "stage": "announced", "event_id": event_id}
    return _event(position, kind, body, **fields)


def test_an_announced_merger_is_marked_and_drawn_where_it_took_effect() -> None:
    bodies: list[dict[str, Any]] = [
        {"id": "a", "name": "A", "parent": {"id": "p", "name": "P"}},
        {"id": "p", "name": "P", "parent": None},
    ]
    events = [
        _event(1, "OrganisationRegistered", "a", organisation_id="a", name="A"),
        _event(2, "OrganisationRegistered", "p", organisation_id="p", name="P"),
        _announced(3, "OrganisationMerged", "a", "m1", parent_id="p", keeps_identity=False),
        _event(
            5, "ChangeTookEffect", "a", announced_event_id="m1", change_type="OrganisationMerged"
        ),
    ]
    picture = family.picture("F", bodies, events, "now")
    assert [c.position for c in picture.columns] == [None, 3, 5, None]
    [announced] = [m for m in picture.marks if m.kind == "announcement"]
    assert announced.column == 1 and "took effect at position 5" in announced.sentence
    assert [(k.kind, k.column) for k in picture.links] == [("merged_into", 2)]
    assert {b.lane: b.end for b in picture.bars} == {"a": 2, "p": None}


def test_a_withdrawn_announcement_changes_nothing() -> None:
    bodies: list[dict[str, Any]] = [{"id": "a", "name": "A", "parent": None}]
    events = [
        _event(1, "OrganisationRegistered", "a", organisation_id="a", name="A"),
        _announced(2, "OrganisationDissolved", "a", "d1", successor_ids=[]),
        _event(4, "ChangeWithdrawn", "a", announced_event_id="d1", reason="Kept after all."),
    ]
    picture = family.picture("F", bodies, events, "now")
    assert [m.kind for m in picture.marks] == ["announcement"]
    assert "Withdrawn at position 4" in picture.marks[0].sentence
    assert [b.end for b in picture.bars] == [None]
