"""Who is affected, and why: case by case on the Smith review's events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest

from schemas.changes import ChangeTookEffect, ChangeWithdrawn
from schemas.envelope import DeliveryStatus, DomainEvent, Source
from schemas.reviews import Claim, ImplementationProgressRecorded
from schemas.wire import PositionedEvent
from services.notifier.domain.knowledge import Knowledge, evolve, fold, in_effect
from services.notifier.domain.reasons import Reason as R
from services.notifier.domain.resolution import Affected, resolve
from tests.support.smith import smith_events

ACADEMY = "nhs-leadership-academy"
NHSI = "nhs-improvement"
HEE = "health-education-england"
BOARDS = "national-governing-boards"


def _stream() -> list[PositionedEvent]:
    return list(smith_events())


def _resolved() -> list[tuple[DomainEvent, Affected]]:
    known = Knowledge()
    out = []
    for pe in _stream():
        out.append((pe.event, resolve(pe.event, known)))
        known.merge(evolve(known, pe.event))
    return out


def _find(event_type: str, **fields: object) -> tuple[DomainEvent, Affected]:
    hits = [
        (e, a)
        for e, a in _resolved()
        if e.type == event_type and all(getattr(e, k) == v for k, v in fields.items())
    ]
    assert len(hits) == 1, hits
    return hits[0]


def _all_reasons(org: str) -> list[tuple[str, frozenset[R]]]:
    return [(e.type, a.reasons[org]) for e, a in _resolved() if org in a.reasons]


def test_nhs_improvement_gains_two_responsibilities_and_an_action() -> None:
    gained = [
        e.responsibility_id  # type: ignore[attr-defined]
        for e, a in _resolved()
        if R.RESPONSIBILITY_GAINED in a.reasons.get(NHSI, ())
    ]
    assert gained == ["improvement-capability-commissioning", "talent-management"]
    _, action = _find("ActionCommitted", owner_id=NHSI)
    assert action.reasons[NHSI] == {R.ACTION_COMMITTED}


def test_academy_loses_talent_management() -> None:
    _, affected = _find("ResponsibilityTransferred", responsibility_id="talent-management")
    assert affected.reasons[ACADEMY] == {R.RESPONSIBILITY_LOST}
    assert affected.reasons[NHSI] == {R.RESPONSIBILITY_GAINED}


def test_rec_9_was_not_followed_for_the_academy() -> None:
    event, affected = _find(
        "ResponsibilityTransferred", responsibility_id="improvement-capability-commissioning"
    )
    assert event.recommendation_id == "smith-review:rec-9"  # type: ignore[attr-defined]
    assert affected.reasons[ACADEMY] == {R.PROPOSAL_NOT_FOLLOWED}
    assert affected.reasons[NHSI] == {R.RESPONSIBILITY_GAINED}
    assert set(affected.reasons) == {ACADEMY, NHSI}  # from_id unknown: nobody loses it


def test_responsibility_assigned_names_the_holder() -> None:
    _, affected = _find("ResponsibilityAssigned", responsibility_id="talent-management")
    assert affected.reasons == {ACADEMY: {R.RESPONSIBILITY_ASSIGNED}}


def test_merge_tells_the_body_and_its_new_parent_only() -> None:
    _, affected = _find("OrganisationMerged", organisation_id=ACADEMY)
    assert affected.reasons == {
        ACADEMY: {R.ORGANISATION_CHANGED},
        HEE: {R.PART_ADDED},
    }


def test_hee_is_told_when_the_academy_is_affected_after_the_merge() -> None:
    _, affected = _find("AccountabilityAssigned", organisation_id=ACADEMY)
    assert affected.reasons[ACADEMY] == {R.ORGANISATION_CHANGED}
    assert affected.reasons[HEE] == {R.CHILD_AFFECTED}
    assert affected.reasons[BOARDS] == {R.ACCOUNTABILITY_GAINED}


def test_hee_is_not_told_about_the_academy_before_the_merge() -> None:
    for event, affected in _resolved():
        if event.type == "OrganisationMerged":
            break
        assert R.CHILD_AFFECTED not in affected.reasons.get(HEE, ())


def test_dissolution_without_successors_tells_only_the_body() -> None:
    _, affected = _find("OrganisationDissolved", organisation_id="nhs-improving-quality")
    assert affected.reasons == {"nhs-improving-quality": {R.ORGANISATION_CHANGED}}


def test_leads_and_supporters_of_a_response() -> None:
    _, affected = _find("RecommendationAdapted", recommendation_id="smith-review:rec-13")
    assert affected.reasons == {
        ACADEMY: {R.LEAD_RESPONSE_RECORDED},
        NHSI: {R.SUPPORTER_RESPONSE_RECORDED},
    }
    _, rec3 = _find("RecommendationAccepted", recommendation_id="smith-review:rec-3")
    assert rec3.reasons[BOARDS] == {R.LEAD_RESPONSE_RECORDED}
    assert rec3.reasons["department-of-health"] == {R.SUPPORTER_RESPONSE_RECORDED}


def test_rename_and_registration_tell_the_body() -> None:
    _, renamed = _find("OrganisationRenamed", organisation_id="strategic-clinical-networks")
    assert renamed.reasons == {"strategic-clinical-networks": {R.ORGANISATION_CHANGED}}
    _, registered = _find("OrganisationRegistered", organisation_id=NHSI)
    assert registered.reasons == {NHSI: {R.ORGANISATION_CHANGED}}


def test_events_that_name_no_body_affect_nobody() -> None:
    _, review = _find("ReviewPublished", review_id="smith-review")
    assert review.reasons == {}
    _, recorded = _find("RecommendationRecorded", recommendation_id="smith-review:rec-9")
    assert recorded.reasons == {}


def test_every_reason_the_academy_gets() -> None:
    reasons = _all_reasons(ACADEMY)
    flat = [r for _, rs in reasons for r in rs]
    assert flat.count(R.RESPONSIBILITY_LOST) == 1
    assert flat.count(R.PROPOSAL_NOT_FOLLOWED) == 1


# --- after the Smith events: progress, oversight, successors --------------------------------


def _after_smith() -> Knowledge:
    return fold([pe.event for pe in _stream()])


def _progress(**subject: str) -> ImplementationProgressRecorded:
    return ImplementationProgressRecorded(
        event_id=uuid4(),
        stream_id="recommendation-x",
        stream_version=9,
        recorded_at=datetime(2026, 12, 1, tzinfo=UTC),
        source=Source(document="d", passage="p"),
        actor="t",
        correlation_id="c",
        status=DeliveryStatus.IN_PROGRESS,
        claim=Claim(claimed_by=NHSI),
        **subject,
    )


def test_delivery_update_tells_the_bodies_that_deliver_it_and_those_it_is_about() -> None:
    affected = resolve(_progress(recommendation_id="smith-review:rec-13"), _after_smith())
    assert affected.reasons == {
        ACADEMY: {R.DELIVERY_UPDATED},  # the subject (rec 13 redefines the Academy)
        NHSI: {R.DELIVERY_UPDATED},  # the recipient of talent management
    }
    sub_point = resolve(_progress(recommendation_id="smith-review:rec-11b"), _after_smith())
    assert sub_point.reasons == {"strategic-clinical-networks": {R.DELIVERY_UPDATED}}


def test_delivery_of_an_action_tells_its_owner() -> None:
    action = "smith-review:succession-plan-top-200"
    affected = resolve(_progress(action_id=action), _after_smith())
    assert affected.reasons == {NHSI: {R.DELIVERY_UPDATED}}


def _settle(known: Knowledge, stream_id: str, kind: Any, **extra: object) -> Any:
    """A ChangeTookEffect / ChangeWithdrawn of the pending announcement of ``stream_id``."""
    _, pending = in_effect(known.log(stream_id))
    (announced,) = pending
    return _settle_one(known, stream_id, announced, kind, **extra)


def _settle_one(
    known: Knowledge, stream_id: str, announced: Any, kind: Any = ChangeTookEffect, **extra: object
) -> Any:
    """A ChangeTookEffect (or ``kind``) of ``announced``, one of the announcements pending on
    ``stream_id``."""
    return kind(
        event_id=uuid4(),
        stream_id=stream_id,
        stream_version=len(known.log(stream_id)) + 5,
        recorded_at=datetime(2026, 12, 1, tzinfo=UTC),
        source=Source(document="d", passage="p"),
        actor="t",
        correlation_id="c",
        announced_event_id=announced.event_id,
        announced_stream_version=announced.stream_version,
        change_type=announced.type,
        **extra,
    )


def test_an_announced_move_tells_whom_it_will_concern_and_says_it_is_announced() -> None:
    _, affected = _find("ResponsibilityTransferred", responsibility_id="talent-management")
    assert affected.stage == "in_effect"  # as first recorded; corrected later
    known = _after_smith()
    assert known.holder("talent-management") is None
    took = _settle(known, "responsibility-talent-management", ChangeTookEffect)
    settled = resolve(took, known)
    assert settled.stage == "took_effect"
    assert settled.reasons == {NHSI: {R.RESPONSIBILITY_GAINED}}  # nobody held it before
    known.merge(evolve(known, took))
    assert known.holder("talent-management") == NHSI
    again = _after_smith()
    dropped = _settle(again, "responsibility-talent-management", ChangeWithdrawn, reason="no")
    assert resolve(dropped, again).stage == "withdrawn"
    again.merge(evolve(again, dropped))
    assert again.holder("talent-management") is None


def test_a_correction_tells_every_body_its_events_name() -> None:
    corrections = [(e, a) for e, a in _resolved() if e.type == "RecordsCorrected"]
    assert {a.stage for _, a in corrections} == {"corrected"}
    (talent,) = [a for e, a in corrections if e.stream_id == "responsibility-talent-management"]
    assert talent.reasons[ACADEMY] == {R.RECORD_CORRECTED}  # it no longer holds it
    assert talent.reasons[NHSI] == {R.RECORD_CORRECTED}


@pytest.mark.parametrize("asks", [True, False])
def test_oversight_only_when_asked_and_only_once_in_effect(asks: bool) -> None:
    known = _after_smith()
    affected = resolve(_progress(recommendation_id="smith-review:rec-13"), known)
    assert BOARDS not in affected.oversight  # accountability to the board is only announced
    known.merge(evolve(known, _settle(known, f"organisation-{BOARDS}", ChangeTookEffect)))
    academy = f"organisation-{ACADEMY}"
    _, pending = in_effect(known.log(academy))
    (accountability,) = [c for c in pending if c.type == "AccountabilityAssigned"]
    took = _settle_one(known, academy, accountability)
    known.merge(evolve(known, took))
    affected = resolve(_progress(recommendation_id="smith-review:rec-13"), known)
    assert BOARDS not in affected.reasons
    assert BOARDS in affected.oversight
    expected = {R.OVERSIGHT} if asks else set()
    assert affected.for_subscriber(BOARDS, include_oversight=asks) == expected
    assert affected.for_subscriber(NHSI, include_oversight=asks) == {R.DELIVERY_UPDATED}


def test_successors_of_a_dissolved_body_are_told() -> None:
    from schemas.organisations import OrganisationDissolved

    known = _after_smith()
    dissolved = OrganisationDissolved(
        event_id=uuid4(),
        stream_id=f"organisation-{ACADEMY}",
        stream_version=9,
        recorded_at=datetime(2026, 12, 1, tzinfo=UTC),
        source=Source(document="d", passage="p"),
        actor="t",
        correlation_id="c",
        organisation_id=ACADEMY,
        successor_ids=(NHSI,),
        stage="in_effect",
    )
    assert resolve(dissolved, known).reasons[NHSI] == {R.SUCCESSOR_NAMED}
    known.merge(evolve(known, dissolved))
    affected = resolve(_progress(recommendation_id="smith-review:rec-14"), known)
    assert affected.reasons[ACADEMY] == {R.DELIVERY_UPDATED}
    assert affected.reasons[NHSI] == {R.PREDECESSOR_AFFECTED}
    assert HEE not in affected.reasons  # becoming part of HEE is only announced
