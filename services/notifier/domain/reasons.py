"""Why an organisation is told about an event: machine-readable reasons."""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    RESPONSIBILITY_LOST = "responsibility_lost"
    RESPONSIBILITY_GAINED = "responsibility_gained"
    PROPOSAL_NOT_FOLLOWED = "proposal_not_followed"
    RESPONSIBILITY_ASSIGNED = "responsibility_assigned"
    ACTION_COMMITTED = "action_committed"
    ORGANISATION_CHANGED = "organisation_changed"
    PART_ADDED = "part_added"
    SUCCESSOR_NAMED = "successor_named"
    ACCOUNTABILITY_GAINED = "accountability_gained"
    LEAD_RESPONSE_RECORDED = "lead_response_recorded"
    SUPPORTER_RESPONSE_RECORDED = "supporter_response_recorded"
    DELIVERY_UPDATED = "delivery_updated"
    CHILD_AFFECTED = "child_affected"
    PREDECESSOR_AFFECTED = "predecessor_affected"
    OVERSIGHT = "oversight"


DERIVED = frozenset({Reason.CHILD_AFFECTED, Reason.PREDECESSOR_AFFECTED, Reason.OVERSIGHT})
"""Reasons that come from the notifier's knowledge of organisations, not from the event itself."""
