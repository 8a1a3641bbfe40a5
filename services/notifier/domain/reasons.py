"""Why an organisation is told about an event: machine-readable reasons."""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    RESPONSIBILITY_LOST = "responsibility_lost"
    RESPONSIBILITY_GAINED = "responsibility_gained"
    PROPOSAL_NOT_FOLLOWED = "proposal_not_followed"
    RESPONSIBILITY_ASSIGNED = "responsibility_assigned"
    ACTION_COMMITTED = "action_committed"
    ACTION_GAINED = "action_gained"
    ACTION_LOST = "action_lost"
    ORGANISATION_CHANGED = "organisation_changed"
    PART_ADDED = "part_added"
    SUCCESSOR_NAMED = "successor_named"
    ACCOUNTABILITY_GAINED = "accountability_gained"
    LEAD_RESPONSE_RECORDED = "lead_response_recorded"
    SUPPORTER_RESPONSE_RECORDED = "supporter_response_recorded"
    NAMED_RESPONSE_RECORDED = "named_response_recorded"
    NAMED_IN_RECOMMENDATION = "named_in_recommendation"
    RECORD_CORRECTED = "record_corrected"
    DELIVERY_UPDATED = "delivery_updated"
    CHILD_AFFECTED = "child_affected"
    PREDECESSOR_AFFECTED = "predecessor_affected"
    OVERSIGHT = "oversight"


class Stage(StrEnum):
    """Where the change an alert is about stands (None for an event that is not a change)."""

    ANNOUNCED = "announced"
    IN_EFFECT = "in_effect"
    TOOK_EFFECT = "took_effect"
    WITHDRAWN = "withdrawn"
    CORRECTED = "corrected"


DERIVED = frozenset({Reason.CHILD_AFFECTED, Reason.PREDECESSOR_AFFECTED, Reason.OVERSIGHT})
"""Reasons that come from the notifier's knowledge of organisations, not from the event itself."""


def stage_of(event_type: str, stage: str | None) -> Stage | None:
    """The stage an event says a change is at (``stage``: the event's own field, if any)."""
    settled = {
        "ChangeTookEffect": Stage.TOOK_EFFECT,
        "ChangeWithdrawn": Stage.WITHDRAWN,
        "RecordsCorrected": Stage.CORRECTED,
    }
    if event_type in settled:
        return settled[event_type]
    return Stage(stage) if stage in (Stage.ANNOUNCED, Stage.IN_EFFECT) else None
