"""Alerts read as sentences: one per reason and stage (gained, lost, announced, in effect, took
effect, withdrawn, corrected, a response, delivery), said with what the notifier knows after
the Smith import (its knowledge logs, as corrected), and the payload's version 2 fields."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from schemas.catalogue import EVENT_TYPES
from schemas.envelope import DomainEvent
from services.notifier.domain import alert_context, knowledge, messages
from tests.support.smith import smith_events

BASE = "https://remit.example.org"
SOURCE = {"document": "A later notice", "passage": "The change is made.", "locator": "Para 1"}


def _event(kind: str, stream: str, version: int, **fields: Any) -> DomainEvent:
    return EVENT_TYPES[kind].model_validate(
        {
            "type": kind,
            "event_id": uuid.uuid4(),
            "stream_id": stream,
            "stream_version": version,
            "recorded_at": datetime(2027, 1, 5, tzinfo=UTC),
            "source": SOURCE,
            "actor": "test",
            "correlation_id": "test",
            **fields,
        }
    )


def _settling(kind: str, announced: DomainEvent, **fields: Any) -> DomainEvent:
    """A ChangeTookEffect or ChangeWithdrawn of ``announced`` (version 2 of its stream)."""
    assert announced.stream_version == 2
    return _event(
        kind,
        announced.stream_id,
        4,
        announced_event_id=announced.event_id,
        announced_stream_version=2,
        change_type=announced.type,
        **fields,
    )


@pytest.fixture(scope="module")
def smith() -> dict[int, DomainEvent]:
    return {p.position: p.event for p in smith_events()}


@pytest.fixture(scope="module")
def known(smith: dict[int, DomainEvent]) -> knowledge.Knowledge:
    return knowledge.fold(smith.values())


def _message(
    event: DomainEvent, known: knowledge.Knowledge, recipient: str, *reasons: str
) -> messages.Message:
    context = alert_context.context(event, known.logs)
    payload = event.model_dump(mode="json")
    return messages.message(payload, 99, recipient, reasons, context, BASE)


def test_an_announced_gain_says_what_for_whom_why_and_where_it_stands(
    smith: dict[int, DomainEvent], known: knowledge.Knowledge
) -> None:
    announced = smith[62].replaced[0].replacement  # type: ignore[attr-defined]
    found = _message(announced, known, "nhs-improvement", "responsibility_gained")
    assert found.body["data"]["summary"] == (
        "Announced: Talent management will move to NHS Improvement. "
        "NHS Improvement is told because it will gain talent management."
    )
    assert found.alert.why == (
        "Recommendation 13: “Redefining the NHS Leadership Academy to focus on evidence based "
        "leadership, talent management, systems leadership, leadership development – "
        "responsibility for talent management will go to NHS Improvement.” The government's "
        "response: Partially implement."
    )
    text = found.email_text
    assert "Announced: A source says this will happen. It is not in effect until" in text
    assert "“responsibility for talent management will go to NHS Improvement”" in text
    assert f"See it on Remit: {BASE}/responsibilities/talent-management" in text
    assert found.email_subject == "Announced: Talent management will move to NHS Improvement"


def test_a_gain_and_a_loss_in_effect(
    smith: dict[int, DomainEvent], known: knowledge.Knowledge
) -> None:
    moved = smith[54]  # as first recorded: in effect, from the Academy
    gained = _message(moved, known, "nhs-improvement", "responsibility_gained")
    assert gained.alert.summary == (
        "In effect: Talent management moved from NHS Leadership Academy to NHS Improvement. "
        "NHS Improvement is told because it gained talent management."
    )
    lost = _message(moved, known, "nhs-leadership-academy", "responsibility_lost")
    assert lost.alert.told == ["NHS Leadership Academy is told because it lost talent management."]


def test_a_proposal_not_followed(smith: dict[int, DomainEvent], known: knowledge.Knowledge) -> None:
    moved = smith[64].replaced[0].replacement  # type: ignore[attr-defined]
    found = _message(moved, known, "nhs-leadership-academy", "proposal_not_followed")
    assert found.alert.told == [
        "NHS Leadership Academy is told because commissioning programmes to build improvement "
        "capability across the system was proposed for it; it will go to NHS Improvement "
        "instead."
    ]


def test_took_effect_and_withdrawn_say_the_change_they_settle(
    smith: dict[int, DomainEvent], known: knowledge.Knowledge
) -> None:
    announced = smith[62].replaced[0].replacement  # type: ignore[attr-defined]
    took = _settling("ChangeTookEffect", announced)
    found = _message(took, known, "nhs-improvement", "responsibility_gained")
    assert found.body["data"]["stage"] == "took_effect"
    assert found.alert.summary == (
        "Took effect: Talent management moved to NHS Improvement. "
        "NHS Improvement is told because it gained talent management."
    )
    dissolution = smith[66].replaced[0].replacement  # type: ignore[attr-defined]
    withdrawn = _settling("ChangeWithdrawn", dissolution, reason="The plan changed.")
    found = _message(withdrawn, known, "nhs-improving-quality", "organisation_changed")
    assert found.alert.headline == (
        "Withdrawn: NHS Improving Quality will not cease to operate as a national "
        "organisation after all"
    )
    assert found.alert.details == ["The plan changed."]
    assert found.alert.links["page"] == f"{BASE}/organisations/nhs-improving-quality"


def test_a_correction_says_what_was_recorded_before_and_now(
    smith: dict[int, DomainEvent], known: knowledge.Knowledge
) -> None:
    found = _message(smith[62], known, "nhs-leadership-academy", "record_corrected")
    assert found.body["data"]["stage"] == "corrected"
    assert found.alert.headline == (
        "Correction: the records about talent management were corrected"
    )
    assert (
        "Withdrawn from the record: Talent management was given to NHS Leadership Academy "
        "(in effect)." in found.alert.details
    )
    assert (
        "Recorded before: Talent management moved from NHS Leadership Academy to NHS "
        "Improvement (in effect). Now: Talent management will move to NHS Improvement "
        "(announced)." in found.alert.details
    )
    assert found.alert.told == [
        "NHS Leadership Academy is told because the corrected records concern it."
    ]


def test_a_response_and_progress_name_the_recommendation(
    smith: dict[int, DomainEvent], known: knowledge.Knowledge
) -> None:
    deferred = smith[48]  # rec 8: NHS England to lead, NHS Improvement to support
    found = _message(deferred, known, "nhs-england", "lead_response_recorded")
    assert found.alert.summary == (
        "Government response to recommendation 8: For future discussion. "
        "NHS England is told because it is named to lead this recommendation."
    )
    assert found.alert.links["page"] == f"{BASE}/recommendations/smith-review%3Arec-8"
    progress = _event(
        "ImplementationProgressRecorded",
        "recommendation-smith-review:rec-8",
        3,
        recommendation_id="smith-review:rec-8",
        status="in_progress",
        claim={"claimed_by": "nhs-england"},
    )
    found = _message(progress, known, "nhs-improvement", "delivery_updated")
    assert found.alert.summary == (
        "Progress on recommendation 8: In progress. NHS Improvement is told because it "
        "delivers this recommendation or the recommendation is about it."
    )
    assert found.alert.details[:2] == ["Claimed by NHS England", "Not verified"]


def test_bodies_told_through_their_family_say_so(
    smith: dict[int, DomainEvent], known: knowledge.Knowledge
) -> None:
    merged = smith[68].replaced[0].replacement  # type: ignore[attr-defined]
    found = _message(merged, known, "health-education-england", "part_added", "oversight")
    assert found.alert.told == [
        "Health Education England is told because NHS Leadership Academy will become part of it.",
        "Health Education England is told because a body accountable to it is concerned.",
    ]


def test_the_payload_keeps_version_1_and_adds_version_summary_and_links(
    smith: dict[int, DomainEvent], known: knowledge.Knowledge
) -> None:
    event = smith[59]  # the succession plan
    found = _message(event, known, "nhs-improvement", "action_committed")
    v1 = messages.payload(
        event.model_dump(mode="json"), 99, "nhs-improvement", ["action_committed"]
    )
    data = found.body["data"]
    assert {k: v for k, v in data.items() if k not in ("version", "summary", "links")} == v1["data"]
    assert data["version"] == messages.PAYLOAD_VERSION == 2
    assert data["summary"] == (
        "Action committed for NHS Improvement: Establish a succession plan for the top 200 "
        "leaders. NHS Improvement is told because it owns this action."
    )
    assert data["links"] == {
        "page": f"{BASE}/organisations/nhs-improvement",
        "organisation": f"{BASE}/organisations/nhs-improvement",
    }
    assert found.text == messages.body(found.body)


def test_without_knowledge_an_alert_still_reads_with_ids(smith: dict[int, DomainEvent]) -> None:
    found = _message(smith[54], knowledge.Knowledge(), "nhs-improvement", "responsibility_gained")
    assert found.alert.summary.startswith(
        "In effect: Talent management moved from nhs-leadership-academy to nhs-improvement."
    )
    assert "<h1" in found.email_html and "&lt;" not in found.alert.summary
