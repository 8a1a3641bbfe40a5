"""Stored events as the timelines say them."""

from __future__ import annotations

from services.common.wording.events import describe

NAMES = {"a": "Body A", "b": "Body B"}


def test_progress_says_who_claims_who_verified_and_why_the_deadline_moved() -> None:
    title, lines = describe(
        "ImplementationProgressRecorded",
        {
            "status": "in_progress",
            "claim": {"claimed_by": "a", "verified_by": None},
            "target_date": "2027-09-30",
            "previous_target_date": "2027-03-31",
            "target_date_change_reason": "Funding came late.",
        },
        NAMES,
    )
    assert title == "Progress: In progress"
    assert lines[:2] == ["Claimed by Body A", "Not verified"]
    assert "Deadline moved from 2027-03-31: Funding came late." in lines


def test_a_corrected_response_says_so_and_why() -> None:
    title, lines = describe(
        "RecommendationRejected",
        {
            "response_text": "Not now.",
            "alternative": "Something else.",
            "lead_ids": ["b"],
            "supersedes_event_id": "e1",
            "revision_reason": "Misread the document.",
        },
        NAMES,
    )
    assert title == "Corrected government response: Not implement"
    assert lines == [
        "Not now.",
        "Instead: Something else.",
        "Led by Body B",
        "Why it was corrected: Misread the document.",
    ]


def test_an_event_type_it_does_not_know_is_named_not_dropped() -> None:
    assert describe("SomethingNew", {}, NAMES) == ("SomethingNew", [])
