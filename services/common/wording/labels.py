"""Words and tag colours for the read model's codes, one place for every page, picture and
alert.

A code without an entry is shown as itself with its underscores as spaces, so a new code (the
read model grows) shows up readable instead of failing.
"""

from __future__ import annotations

RESPONSES: dict[str, tuple[str, str]] = {
    "implement_in_full": ("Implement in full", "green"),
    "partially_implement": ("Partially implement", "teal"),
    "future_discussion": ("For future discussion", "yellow"),
    "not_implement": ("Not implement", "red"),
    "no_response": ("No response yet", "grey"),
}
"""Government response kinds, in board order: label and GOV.UK tag colour."""

DELIVERY: dict[str, tuple[str, str]] = {
    "not_started": ("Not started", "grey"),
    "in_progress": ("In progress", "blue"),
    "delivered": ("Delivered", "green"),
    "blocked": ("Blocked", "red"),
    "unknown": ("Not known", "grey"),
}
"""Delivery statuses, in board order."""

STATUSES: dict[str, tuple[str, str]] = {
    "active": ("Active", "green"),
    "part_of_another": ("Part of another body", "purple"),
    "merged": ("Merged", "purple"),
    "dissolved": ("Dissolved", "red"),
    "not_established": ("Not yet established", "yellow"),
}
"""Organisation statuses."""

KINDS: dict[str, str] = {
    "arms_length_body": "Arm's length body",
    "government_department": "Government department",
    "governing_board": "Governing board",
    "group_of_bodies": "Group of bodies",
}

ROLES: dict[str, str] = {
    "leads": "Leads",
    "lead": "Leads",
    "supporters": "Supports",
    "supporting": "Supports",
    "not_leading": "Named, not leading",
    "subject": "What it is about",
    "recipient": "Receives a responsibility",
    "originally_proposed": "Originally proposed, not followed",
    "named": "Named alongside",
    "member_of": "Member of",
    "accountable_to": "Accountable to",
    "composed_of": "Has as members",
    "oversees": "Oversees",
}
"""Roles of the bodies a recommendation names, in the order the pages list them."""

STAGES: dict[str, tuple[str, str]] = {
    "announced": ("Announced", "yellow"),
    "in_effect": ("In effect", "green"),
    "took_effect": ("Took effect", "green"),
    "withdrawn": ("Withdrawn", "grey"),
    "corrected": ("Correction", "orange"),
}
"""Stages of a change to a body, a responsibility or an action (and of an alert about one)."""

STAGE_MEANINGS: dict[str, str] = {
    "announced": "A source says this will happen. It is not in effect until a later source "
    "says it took effect.",
    "in_effect": "The source states this as done: it is in effect.",
    "took_effect": "This was announced earlier and has now taken effect.",
    "withdrawn": "This was announced earlier and will not happen: the announcement was withdrawn.",
    "corrected": "Earlier records were wrong and have been corrected. The corrected records "
    "apply to every date and position; the trail of what changed is kept.",
}
"""What each stage means, in a sentence (alerts and pages say it the same way)."""


def _plain(code: str | None) -> str:
    return (code or "").replace("_", " ").capitalize()


def response(code: str | None) -> str:
    return RESPONSES.get(code or "", (_plain(code), ""))[0]


def response_colour(code: str | None) -> str:
    return RESPONSES.get(code or "", ("", "grey"))[1]


def delivery(code: str | None) -> str:
    return DELIVERY.get(code or "", (_plain(code), ""))[0]


def delivery_colour(code: str | None) -> str:
    return DELIVERY.get(code or "", ("", "grey"))[1]


def status(code: str | None) -> str:
    return STATUSES.get(code or "", (_plain(code), ""))[0]


def status_colour(code: str | None) -> str:
    return STATUSES.get(code or "", ("", "grey"))[1]


def kind(code: str | None) -> str:
    return KINDS.get(code or "", _plain(code))


def role(code: str) -> str:
    return ROLES.get(code, _plain(code))


def stage(code: str | None) -> str:
    return STAGES.get(code or "", (_plain(code), ""))[0]


def stage_colour(code: str | None) -> str:
    return STAGES.get(code or "", ("", "grey"))[1]


def stage_meaning(code: str | None) -> str:
    return STAGE_MEANINGS.get(code or "", "")


def thing(description: str | None, thing_id: str) -> str:
    """What a responsibility or an action is called: its description, else its id made
    readable (``talent-management`` -> ``Talent management``)."""
    if description:
        return description
    words = thing_id.rsplit(":", 1)[-1].replace("-", " ").replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else thing_id


def role_order(roles: dict[str, object]) -> list[str]:
    """The roles present, in :data:`ROLES` order (unknown ones last, as given)."""
    known = [r for r in ROLES if r in roles]
    return known + [r for r in roles if r not in ROLES]


CHANGES: dict[str, str] = {
    "establishment": "Establishment",
    "rename": "New name",
    "merge": "Merger",
    "dissolution": "Dissolution",
    "accountability": "Accountability",
}
"""Kinds of change to a body."""


def change(code: str | None) -> str:
    return CHANGES.get(code or "", _plain(code))
