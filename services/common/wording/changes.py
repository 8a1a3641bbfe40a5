"""A change to a body, a responsibility or an action as a sentence, in the tense of its stage.

Every change is said as a subject and a verb phrase with two forms, so one table gives every
tense: announced "talent management *will move to* NHS Improvement", in effect or took effect
"talent management *moved to* NHS Improvement", withdrawn "talent management *will not move to*
NHS Improvement after all". Bodies are named by ``names`` (id -> name), or by their id.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from schemas.catalogue import EVENT_TYPES
from schemas.changes import StagedChange
from services.common.wording import labels

Names = Mapping[str, str]
Event = Mapping[str, Any]

CHANGE_TYPES = tuple(name for name, event in EVENT_TYPES.items() if issubclass(event, StagedChange))
"""The event types that are changes with a stage (announced or in effect)."""


@dataclass(frozen=True)
class Phrase:
    """``subject`` + ``base`` ("will " + base) or + ``past``."""

    subject: str
    base: str
    past: str

    def said(self, stage: str | None) -> str:
        if stage == "announced":
            return f"{self.subject} will {self.base}"
        if stage == "withdrawn":
            return f"{self.subject} will not {self.base} after all"
        return f"{self.subject} {self.past}"


def name(names: Names, org_id: str | None) -> str:
    return "a body the source does not name" if org_id is None else names.get(org_id, org_id)


def subject(e: Event, names: Names) -> str:
    """What a change is about, as said mid-sentence: the body, the responsibility or the
    action."""
    if e.get("responsibility_id"):
        return mid(labels.thing(e.get("description"), str(e["responsibility_id"])))
    if e.get("action_id"):
        return "the action " + mid(labels.thing(e.get("description"), str(e["action_id"])))
    return name(names, e.get("organisation_id"))


def mid(words: str) -> str:
    """A description as said mid-sentence: ``Talent management`` -> ``talent management``
    (``NHS …`` stays)."""
    if len(words) > 1 and words[0].isupper() and words[1].islower():
        return words[0].lower() + words[1:]
    return words


def _transfer(e: Event, names: Names) -> Phrase:
    to = name(names, e.get("to_id"))
    origin = f" from {name(names, e['from_id'])}" if e.get("from_id") else ""
    return Phrase(subject(e, names), f"move{origin} to {to}", f"moved{origin} to {to}")


def _dissolved(e: Event, names: Names) -> Phrase:
    scope = f" {e['scope']}" if e.get("scope") else ""
    return Phrase(subject(e, names), f"cease to operate{scope}", f"ceased to operate{scope}")


def _merged(e: Event, names: Names) -> Phrase:
    parent = name(names, e.get("parent_id"))
    kept = ", keeping its identity" if e.get("keeps_identity") else ""
    return Phrase(
        subject(e, names), f"become part of {parent}{kept}", f"became part of {parent}{kept}"
    )


def _accountable(e: Event, names: Names) -> Phrase:
    to = name(names, e.get("accountable_to_id"))
    return Phrase(subject(e, names), f"be accountable to {to}", f"became accountable to {to}")


def _assigned(e: Event, names: Names) -> Phrase:
    to = name(names, e.get("holder_id"))
    return Phrase(subject(e, names), f"go to {to}", f"was given to {to}")


def _renamed(e: Event, names: Names) -> Phrase:
    before = e.get("previous_name") or name(names, e.get("organisation_id"))
    new = f"“{e.get('new_name')}”"
    return Phrase(before, f"take the name {new}", f"took the name {new}")


def _registered(e: Event, names: Names) -> Phrase:
    body = e.get("name") or name(names, e.get("organisation_id"))
    return Phrase(body, "be established", "was first recorded")


PHRASES: dict[str, Callable[[Event, Names], Phrase]] = {
    "OrganisationRegistered": _registered,
    "OrganisationRenamed": _renamed,
    "OrganisationMerged": _merged,
    "OrganisationDissolved": _dissolved,
    "AccountabilityAssigned": _accountable,
    "ResponsibilityAssigned": _assigned,
    "ResponsibilityTransferred": _transfer,
    "ActionTransferred": _transfer,
}


def change(kind: str, e: Event, names: Names, stage: str | None = None) -> str:
    """The change ``e`` (of type ``kind``) as a sentence without its full stop, in the tense of
    ``stage`` (by default the event's own: announced or in effect)."""
    found = PHRASES.get(kind)
    if found is None:
        return _plain(kind)
    said = found(e, names).said(stage or e.get("stage"))
    return said[:1].upper() + said[1:]


def _plain(kind: str) -> str:
    """``OrganisationRenamed`` -> ``Organisation renamed``."""
    words = "".join(f" {c.lower()}" if c.isupper() else c for c in kind or "change").strip()
    return words[:1].upper() + words[1:]


def plain_type(kind: str | None) -> str:
    """An event type in words, lower case: ``organisation renamed``."""
    return _plain(kind or "change").lower()
