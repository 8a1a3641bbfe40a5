"""A stored event as people read it: a title and the lines under it (what it holds, who said
it), the same on a page's timeline and in an alert."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from schemas.reviews import RESPONSE_KINDS
from services.common.wording import labels
from services.common.wording.changes import CHANGE_TYPES, Event, Names, change, name, plain_type

Said = tuple[str, list[str | None]]
"""A title and the lines under it (``None``: a field the event left empty)."""
Announcements = Mapping[str, Event]
"""Announced events by event id: what a ``ChangeTookEffect`` or ``ChangeWithdrawn`` settles."""


def describe(
    kind: str, e: Event, names: Names, announced: Announcements | None = None
) -> tuple[str, list[str]]:
    """The title of an event of type ``kind`` and the lines that say what it holds."""
    title, lines = _describe(kind, e, names, announced or {})
    return title, [line for line in lines if line]


def settled(kind: str, e: Event, names: Names, announced: Announcements) -> str:
    """What a ``ChangeTookEffect`` or ``ChangeWithdrawn`` says happened to the change it names
    (in words, when the announcement is known)."""
    stage = "took_effect" if kind == "ChangeTookEffect" else "withdrawn"
    found = announced.get(str(e.get("announced_event_id")))
    if found is not None:
        said = change(str(found.get("type")), found, names, stage)
        return f"Took effect: {said}" if stage == "took_effect" else f"Withdrawn: {said}"
    verb = "took effect" if stage == "took_effect" else "was withdrawn"
    return f"An announced change ({plain_type(e.get('change_type'))}) {verb}"


def _describe(kind: str, e: Event, names: Names, announced: Announcements) -> Said:
    if kind in RESPONSE_KINDS:
        return _response(kind, e, names)
    if kind in CHANGE_TYPES:
        return change(kind, e, names), _change_lines(kind, e, names)
    simple: dict[str, Callable[[], Said]] = {
        "ImplementationProgressRecorded": lambda: _progress(e, names),
        "RecommendationRecorded": lambda: (f"Recorded as recommendation {e['number']}", []),
        "ReviewPublished": lambda: (f"Review published: {e['title']}", []),
        "ChangeTookEffect": lambda: (settled(kind, e, names, announced), [e.get("note")]),
        "ChangeWithdrawn": lambda: (settled(kind, e, names, announced), [e.get("reason")]),
        "RecordsCorrected": lambda: ("Records corrected", [e.get("reason")]),
        "ActionCommitted": lambda: (
            f"Action committed for {name(names, e.get('owner_id'))}: {e.get('description')}",
            [],
        ),
    }
    found = simple.get(kind)
    return found() if found else (kind, [])


def _change_lines(kind: str, e: Event, names: Names) -> list[str | None]:
    lines: list[str | None] = []
    if kind == "OrganisationRegistered":
        lines.append(e.get("description"))
    if kind == "OrganisationDissolved":
        lines.append(e.get("disposition"))
    if kind in ("ResponsibilityTransferred", "ActionTransferred") and not e.get("from_id"):
        lines.append("From a body the source does not name")
    if e.get("instead_of_id"):
        lines.append(f"Instead of {name(names, e['instead_of_id'])}, as originally proposed")
    if e.get("expected_on"):
        lines.append(f"Expected on {e['expected_on']}")
    return [*lines, e.get("reason")]


def _response(kind: str, e: Event, names: Names) -> Said:
    verdict = labels.response(RESPONSE_KINDS[kind])
    title = f"Government response: {verdict}"
    if e.get("supersedes_event_id"):
        title = f"Corrected government response: {verdict}"
    lines: list[str | None] = [e.get("response_text")]
    lines += [f"Changed from the proposal: {c}" for c in e.get("changes") or ()]
    if e.get("alternative"):
        lines.append(f"Instead: {e['alternative']}")
    if e.get("lead_ids"):
        lines.append("Led by " + ", ".join(name(names, i) for i in e["lead_ids"]))
    if e.get("supporting_ids"):
        lines.append("Supported by " + ", ".join(name(names, i) for i in e["supporting_ids"]))
    if e.get("revision_reason"):
        lines.append(f"Why it was corrected: {e['revision_reason']}")
    return title, lines


def _progress(e: Event, names: Names) -> Said:
    claim: dict[str, Any] = e.get("claim") or {}
    verified = claim.get("verified_by")
    lines = [
        f"Claimed by {name(names, claim.get('claimed_by'))}",
        f"Verified by {name(names, verified)}" if verified else "Not verified",
        e.get("evidence"),
    ]
    if e.get("target_date"):
        lines.append(f"Target date: {e['target_date']}")
    if e.get("previous_target_date"):
        moved = f"Deadline moved from {e['previous_target_date']}"
        reason = e.get("target_date_change_reason")
        lines.append(moved + (f": {reason}" if reason else ""))
    return f"Progress: {labels.delivery(e.get('status'))}", lines
