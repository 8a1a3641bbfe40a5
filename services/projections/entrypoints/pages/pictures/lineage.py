"""The lineage of a responsibility as a picture: a lane per body that held it, was proposed
for it, or handed it over; bars for who held it when; arrows for the hand-overs; the holders'
renames, merges and dissolutions marked on their lanes."""

from __future__ import annotations

from typing import Any

from services.common.wording import labels
from services.common.wording.events import describe
from services.projections.domain.views import HistoryEntry, Json
from services.projections.entrypoints.pages.pictures.axis import Axis
from services.projections.entrypoints.pages.pictures.model import (
    Bar,
    Lane,
    Link,
    Mark,
    Picture,
)

HOLDER_CHANGES = ("OrganisationRenamed", "OrganisationMerged", "OrganisationDissolved")


def picture(
    view: Json, holder_events: list[HistoryEntry], names: dict[str, str], end: str
) -> Picture:
    steps = _steps(view)
    changes = [e for e in holder_events if e.type in HOLDER_CHANGES]
    axis = Axis(
        [(p, *_when(s)) for s in steps for p in _positions(s)]
        + [(e.position, e.occurred_at, e.recorded_at) for e in changes],
        end,
    )
    title = f"Who has held “{labels.thing(view['description'], view['id'])}”"
    out = Picture(title, _summary(view, names), axis.columns)
    out.lanes = [Lane(i, names.get(i, i)) for i in _bodies(steps)]
    held = sorted((s for s in steps if _stage(s) in HOLDING), key=_effective)
    for step in steps:
        if _stage(step) not in HOLDING:
            _not_held(out, axis, step, names)
            continue
        later = [h for h in held if _effective(h) > _effective(step)]
        _step(out, axis, step, later[0] if later else None, names)
    for event in changes:
        _holder_change(out, axis, event, names)
    return out


HOLDING = ("in_effect", "took_effect")
"""Stages in which a hand-over moved the responsibility (the others are only announced, or
announced and withdrawn)."""


def _steps(view: Json) -> list[Json]:
    """Every step, the pending ones listed apart included once."""
    steps: list[Json] = list(view["handovers"])
    seen = {s.get("event_id") for s in steps if s.get("event_id")}
    return steps + [s for s in view.get("announced") or [] if s.get("event_id") not in seen]


def _stage(step: Json) -> str:
    return str(step.get("stage") or "in_effect")


def _kind(step: Json) -> str:
    """``assigned`` or ``transferred`` (the read model's words, older and newer)."""
    if "kind" in step:
        return str(step["kind"])
    return "assigned" if step.get("change") == "assignment" else "transferred"


def _effective(step: Json) -> int:
    """The position from which a step holds: when it took effect, else when recorded."""
    settled = step.get("settled_position")
    return int(settled) if _stage(step) == "took_effect" and settled else int(step["position"])


def _positions(step: Json) -> list[int]:
    """Where a step shows on the axis: when recorded (announced), and when settled."""
    settled = step.get("settled_position")
    return [step["position"], *([settled] if settled and settled != step["position"] else [])]


def _when(step: Json) -> tuple[Any, Any]:
    """(occurred, recorded) of a step, from its valid time when it has one."""
    valid = step.get("valid") or {}
    return (
        step.get("occurred_at") or valid.get("at"),
        step.get("recorded_at") or valid.get("not_after"),
    )


def _bodies(steps: list[Json]) -> list[str]:
    found: dict[str, None] = {}
    for step in steps:
        for role in ("to", "from", "instead_of"):
            if step.get(role):
                found.setdefault(step[role]["id"])
    return list(found)


def _name(ref: Json | None, names: dict[str, str]) -> str:
    if ref is None:
        return "an unknown body"
    return ref.get("name_then") or names.get(ref["id"]) or ref["id"]


def _step(out: Picture, axis: Axis, step: Json, after: Json | None, names: dict[str, str]) -> None:
    start, to = _effective(step), step["to"]
    col = axis.at(start)
    end = axis.at(_effective(after)) if after else None
    held = f"{_name(to, names)} holds it from position {start}"
    held += f" to position {_effective(after)}" if after else " (still holds it)"
    out.bars.append(Bar(to["id"], col, end, "in_effect", held + "."))
    if start != step["position"]:
        sentence = (
            f"Announced at position {step['position']} that it would go to "
            f"{_name(to, names)}; in effect from position {start}."
        )
        out.bars.append(Bar(to["id"], axis.at(step["position"]), col, "announced", sentence))
    why = f" {step['reason']}" if step.get("reason") else ""
    if _kind(step) == "transferred" and step.get("from"):
        sentence = f"Moved from {_name(step['from'], names)} to {_name(to, names)}.{why}"
        out.links.append(Link(step["from"]["id"], to["id"], col, "transfer", "moved", sentence))
    else:
        moved = _kind(step) == "transferred"
        verb = "Moved to" if moved else "Given to"
        source = " from a body the source does not name" if moved else ""
        sentence = f"{verb} {_name(to, names)}{source}.{why}"
        out.marks.append(
            Mark(to["id"], col, "changed", "moved here" if moved else "given", sentence)
        )
    if step.get("instead_of"):
        proposed = step["instead_of"]
        sentence = f"It had been proposed for {_name(proposed, names)}; that was not followed."
        out.bars.append(Bar(proposed["id"], col, min(col + 1, axis.last), "proposed", sentence))


def _not_held(out: Picture, axis: Axis, step: Json, names: dict[str, str]) -> None:
    """A hand-over only announced, or announced and withdrawn: drawn apart from holding."""
    col, to = axis.at(step["position"]), step["to"]
    withdrawn = _stage(step) == "withdrawn"
    verb = "was announced, then withdrawn" if withdrawn else "is announced, not yet in effect"
    sentence = f"A move to {_name(to, names)} {verb}."
    why = step.get("withdrawal_reason") or step.get("reason")
    sentence += f" {why}" if why else ""
    if withdrawn:
        settled = step.get("settled_position")
        end = axis.at(settled) if settled else min(col + 1, axis.last)
        out.bars.append(Bar(to["id"], col, max(end, col + 1), "proposed", sentence))
    else:
        out.bars.append(Bar(to["id"], col, None, "announced", sentence))
    if step.get("instead_of"):
        proposed = step["instead_of"]
        sentence = f"It had been proposed for {_name(proposed, names)}; that was not followed."
        out.bars.append(Bar(proposed["id"], col, min(col + 1, axis.last), "proposed", sentence))


def _holder_change(out: Picture, axis: Axis, event: HistoryEntry, names: dict[str, str]) -> None:
    p: dict[str, Any] = event.payload
    body = p["organisation_id"]
    who = names.get(body, body)
    col = axis.at(event.position)
    if p.get("stage") == "announced":
        title, _ = describe(event.type, p, names)
        out.marks.append(Mark(body, col, "announcement", "announced", f"Announced: {title}."))
    elif event.type == "OrganisationRenamed":
        sentence = f"{p['previous_name']} was renamed {p['new_name']}."
        out.marks.append(Mark(body, col, "renamed", f"renamed “{p['new_name']}”", sentence))
    elif event.type == "OrganisationMerged":
        parent = names.get(p["parent_id"], p["parent_id"])
        kept = p["keeps_identity"]
        label = f"part of {parent}" if kept else f"merged into {parent}"
        sentence = f"{who} became part of {parent}" + (", keeping its identity." if kept else ".")
        out.marks.append(Mark(body, col, "changed" if kept else "merged", label, sentence))
    else:
        out.marks.append(Mark(body, col, "dissolved", "dissolved", f"{who} was dissolved."))


def _summary(view: Json, names: dict[str, str]) -> str:
    holder = view["holder"]
    now = names.get(holder["id"], holder["id"]) if holder else "no known body"
    moves = len(view["handovers"])
    return (
        f"A timeline of the bodies that held this responsibility: {moves} recorded "
        f"step{'s' if moves != 1 else ''}; held now by {now}. The table after the picture "
        "gives the same facts in words."
    )
