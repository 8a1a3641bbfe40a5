"""Why an organisation is told about an event, as sentences: one per reason the notifier gives
(``services/notifier/domain/reasons.py``), in the tense of the change's stage."""

from __future__ import annotations

from collections.abc import Iterable

from services.common.wording.changes import Event, Names, name, subject

Forms = tuple[str, str, str]
"""A reason said of a change announced, in effect (or took effect), and withdrawn; ``{who}``
is the recipient, ``{it}`` what the change is about, ``{other}`` the other body it names."""

CHANGING: dict[str, Forms] = {
    "responsibility_gained": (
        "{who} will gain {it}",
        "{who} gained {it}",
        "{who} will not gain {it} after all",
    ),
    "responsibility_lost": (
        "{who} will lose {it}",
        "{who} lost {it}",
        "{who} will not lose {it} after all",
    ),
    "proposal_not_followed": (
        "{it} was proposed for {who}; it will go to {other} instead",
        "{it} was proposed for {who}; it went to {other} instead",
        "{it} was proposed for {who}; the move to {other} instead was withdrawn",
    ),
    "responsibility_assigned": (
        "{who} will be given {it}",
        "{who} was given {it}",
        "{who} will not be given {it} after all",
    ),
    "action_gained": (
        "{who} will take on {it}",
        "{who} took on {it}",
        "{who} will not take on {it}",
    ),
    "action_lost": ("{who} will hand over {it}", "{who} handed over {it}", "{who} keeps {it}"),
    "organisation_changed": ("{who} is the body the change is about",) * 3,
    "part_added": (
        "{it} will become part of {who}",
        "{it} became part of {who}",
        "{it} will not become part of {who} after all",
    ),
    "accountability_gained": (
        "{it} will be accountable to {who}",
        "{it} became accountable to {who}",
        "{it} will not be accountable to {who} after all",
    ),
    "successor_named": ("{who} is named as a successor of {it}",) * 3,
}

STANDING: dict[str, str] = {
    "action_committed": "{who} owns this action",
    "lead_response_recorded": "{who} is named to lead this recommendation",
    "supporter_response_recorded": "{who} is named to support this recommendation",
    "named_response_recorded": "the government's response names {who}",
    "named_in_recommendation": "the recommendation names {who}",
    "record_corrected": "the corrected records concern {who}",
    "delivery_updated": "{who} delivers this recommendation or the recommendation is about {who}",
    "child_affected": "a body that is part of {who} is concerned",
    "predecessor_affected": "{who} succeeds a body that is concerned",
    "oversight": "a body accountable to {who} is concerned",
}


def told(reasons: Iterable[str], who: str, e: Event, names: Names, stage: str | None) -> list[str]:
    """One sentence per reason: "{who} is told because it …" (the event's own reasons first,
    then those through the body's family)."""
    ordered = sorted(reasons, key=lambda r: (r in THROUGH_FAMILY, r))
    return [f"{who} is told because {_because(r, 'it', e, names, stage)}." for r in ordered]


THROUGH_FAMILY = frozenset({"child_affected", "predecessor_affected", "oversight"})


def _because(reason: str, who: str, e: Event, names: Names, stage: str | None) -> str:
    forms = CHANGING.get(reason)
    if forms is None:
        return STANDING.get(reason, reason.replace("_", " ")).format(who=who)
    said = forms[{"announced": 0, "withdrawn": 2}.get(stage or "", 1)]
    return said.format(who=who, it=_it(reason, e, names), other=name(names, e.get("to_id")))


def _it(reason: str, e: Event, names: Names) -> str:
    """What the reason speaks of: the responsibility or action, or the other body."""
    if reason in ("part_added", "accountability_gained", "successor_named"):
        return name(names, e.get("organisation_id"))
    return subject(e, names)
