"""Stored events as people read them: one entry of a timeline per event, with what it says,
who said it, and the passage it quotes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.projections.domain.refs import RESPONSE_KINDS
from services.projections.domain.views import Json
from services.projections.entrypoints.pages import labels

Names = dict[str, str]
Said = tuple[str, list[str | None]]
"""A title and the lines under it (``None``: a field the event left empty)."""


def entry(item: Json, names: Names) -> Json:
    """``{position, occurred_at, recorded_at, title, lines, source, correction, stage,
    uncertain}`` of a history entry (as JSON)."""
    event: dict[str, Any] = item["event"]
    title, lines = describe(item["type"], event, names)
    if event.get("stage") == "announced":
        title = f"Announced: {title}"
    return {
        "position": item["position"],
        "occurred_at": item["occurred_at"],
        "recorded_at": item["recorded_at"],
        "title": title,
        "lines": lines,
        "source": event.get("source") or {},
        "correction": bool(event.get("supersedes_event_id")),
        "stage": item.get("stage") or event.get("stage"),
        "uncertain": bool(item.get("uncertain")),
    }


def _name(names: Names, org_id: str | None) -> str:
    return "not known" if org_id is None else names.get(org_id, org_id)


def describe(kind: str, e: dict[str, Any], names: Names) -> tuple[str, list[str]]:
    """The title of an event of type ``kind`` and the lines that say what it holds."""
    title, lines = _describe(kind, e, names)
    return title, [line for line in lines if line]


def _describe(kind: str, e: dict[str, Any], names: Names) -> Said:
    if kind in RESPONSE_KINDS:
        return _response(kind, e, names)
    if kind == "ImplementationProgressRecorded":
        return _progress(e, names)
    simple: dict[str, Callable[[], Said]] = {
        "RecommendationRecorded": lambda: (f"Recorded as recommendation {e['number']}", []),
        "ReviewPublished": lambda: (f"Review published: {e['title']}", []),
        "OrganisationRegistered": lambda: (f"{e['name']} first recorded", [e.get("description")]),
        "OrganisationRenamed": lambda: (
            f"{e['previous_name']} renamed {e['new_name']}",
            [e.get("reason")],
        ),
        "OrganisationMerged": lambda: (
            f"{_name(names, e['organisation_id'])} became part of "
            f"{_name(names, e['parent_id'])}"
            + (", keeping its identity" if e["keeps_identity"] else ""),
            [e.get("reason")],
        ),
        "OrganisationDissolved": lambda: (
            f"{_name(names, e['organisation_id'])} dissolved",
            [e.get("disposition")],
        ),
        "AccountabilityAssigned": lambda: (
            f"{_name(names, e['organisation_id'])} made accountable to "
            f"{_name(names, e['accountable_to_id'])}",
            [e.get("reason")],
        ),
        "ResponsibilityAssigned": lambda: (
            f"{e.get('description') or e['responsibility_id']} given to "
            f"{_name(names, e['holder_id'])}",
            [e.get("reason")],
        ),
        "ResponsibilityTransferred": lambda: _transfer(e, names),
        "ChangeTookEffect": lambda: (
            f"The announced change took effect ({_plain_type(e.get('change_type'))})",
            [e.get("note")],
        ),
        "ChangeWithdrawn": lambda: (
            f"The announced change was withdrawn ({_plain_type(e.get('change_type'))})",
            [e.get("reason")],
        ),
        "RecordsCorrected": lambda: ("Records corrected", [e.get("reason")]),
        "ActionTransferred": lambda: (
            f"Action moved from {_name(names, e.get('from_id'))} to {_name(names, e.get('to_id'))}",
            [e.get("reason")],
        ),
        "ActionCommitted": lambda: (
            f"Action committed for {_name(names, e['owner_id'])}: {e['description']}",
            [],
        ),
    }
    found = simple.get(kind)
    return found() if found else (kind, [])


def _plain_type(kind: str | None) -> str:
    """``OrganisationRenamed`` -> ``organisation renamed``."""
    return "".join(f" {c.lower()}" if c.isupper() else c for c in kind or "change").strip()


def _response(kind: str, e: dict[str, Any], names: Names) -> Said:
    verdict = labels.response(RESPONSE_KINDS[kind])
    title = f"Government response: {verdict}"
    if e.get("supersedes_event_id"):
        title = f"Corrected government response: {verdict}"
    lines: list[str | None] = [e["response_text"]]
    lines += [f"Changed from the proposal: {c}" for c in e.get("changes") or ()]
    if e.get("alternative"):
        lines.append(f"Instead: {e['alternative']}")
    if e.get("lead_ids"):
        lines.append("Led by " + ", ".join(_name(names, i) for i in e["lead_ids"]))
    if e.get("supporting_ids"):
        lines.append("Supported by " + ", ".join(_name(names, i) for i in e["supporting_ids"]))
    if e.get("revision_reason"):
        lines.append(f"Why it was corrected: {e['revision_reason']}")
    return title, lines


def _progress(e: dict[str, Any], names: Names) -> Said:
    claim = e.get("claim") or {}
    verified = claim.get("verified_by")
    lines = [
        f"Claimed by {_name(names, claim.get('claimed_by'))}",
        f"Verified by {_name(names, verified)}" if verified else "Not verified",
        e.get("evidence"),
    ]
    if e.get("target_date"):
        lines.append(f"Target date: {e['target_date']}")
    if e.get("previous_target_date"):
        moved = f"Deadline moved from {e['previous_target_date']}"
        reason = e.get("target_date_change_reason")
        lines.append(moved + (f": {reason}" if reason else ""))
    return f"Progress: {labels.delivery(e['status'])}", lines


def _transfer(e: dict[str, Any], names: Names) -> Said:
    what = e.get("description") or e["responsibility_id"]
    title = f"{what} moved to {_name(names, e['to_id'])}"
    origin = e.get("from_id")
    lines: list[str | None] = [
        f"From {_name(names, origin)}" if origin else "From a body the source does not name"
    ]
    if e.get("instead_of_id"):
        lines.append(f"Instead of {_name(names, e['instead_of_id'])}, as proposed")
    return title, [*lines, e.get("reason")]
