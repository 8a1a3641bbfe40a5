"""The lineage of a responsibility as a picture: a lane per body that held it, was proposed
for it, or handed it over; bars for who held it when; arrows for the hand-overs; the holders'
renames, merges and dissolutions marked on their lanes."""

from __future__ import annotations

from typing import Any

from services.projections.domain.views import HistoryEntry, Json
from services.projections.entrypoints.pages.pictures.axis import Axis
from services.projections.entrypoints.pages.pictures.model import (
    Bar,
    BarStyle,
    Lane,
    Link,
    Mark,
    Picture,
)

HOLDER_CHANGES = ("OrganisationRenamed", "OrganisationMerged", "OrganisationDissolved")


def picture(
    view: Json, holder_events: list[HistoryEntry], names: dict[str, str], end: str
) -> Picture:
    steps: list[Json] = view["handovers"]
    pending: list[Json] = view.get("announced") or []
    changes = [e for e in holder_events if e.type in HOLDER_CHANGES]
    axis = Axis(
        [(p, s["occurred_at"], s["recorded_at"]) for s in steps + pending for p in _positions(s)]
        + [(e.position, e.occurred_at, e.recorded_at) for e in changes],
        end,
    )
    title = f"Who has held “{view['description'] or view['id']}”"
    out = Picture(title, _summary(view, names), axis.columns)
    out.lanes = [Lane(i, names.get(i, i)) for i in _bodies(steps + pending)]
    held = [s for s in steps if s.get("stage") not in ("announced", "withdrawn")]
    for step in steps:
        later = [h for h in held if h["position"] > step["position"]]
        _step(out, axis, step, later[0] if later and step in held else None, names)
    for step in pending:
        _announced(out, axis, step, names)
    for event in changes:
        _holder_change(out, axis, event, names)
    return out


def _bodies(steps: list[Json]) -> list[str]:
    found: dict[str, None] = {}
    for step in steps:
        for role in ("to", "from", "instead_of"):
            if step[role]:
                found.setdefault(step[role]["id"])
    return list(found)


def _name(ref: Json | None, names: dict[str, str]) -> str:
    if ref is None:
        return "an unknown body"
    return ref.get("name_then") or names.get(ref["id"]) or ref["id"]


def _positions(step: Json) -> list[int]:
    """Where a step shows on the axis: its position, and when it was announced, if apart."""
    found = [step["position"]]
    announced = step.get("announced_position")
    return found + [announced] if announced and announced != step["position"] else found


STAGE_STYLE: dict[str, BarStyle] = {"announced": "announced", "withdrawn": "proposed"}


def _step(out: Picture, axis: Axis, step: Json, after: Json | None, names: dict[str, str]) -> None:
    col, to = axis.at(step["position"]), step["to"]
    if (step.get("stage") or "in_effect") in STAGE_STYLE:
        _announced(out, axis, step, names)
        return
    end = axis.at(after["position"]) if after else None
    held = f"{_name(to, names)} holds it from position {step['position']}"
    held += f" to position {after['position']}" if after else " (still holds it)"
    out.bars.append(Bar(to["id"], col, end, "in_effect", held + "."))
    announced = step.get("announced_position")
    if announced and announced < step["position"]:
        sentence = (
            f"Announced at position {announced} that it would go to {_name(to, names)}; "
            f"in effect from position {step['position']}."
        )
        out.bars.append(Bar(to["id"], axis.at(announced), col, "announced", sentence))
    why = f" {step['reason']}" if step["reason"] else ""
    if step["kind"] == "transferred" and step["from"]:
        sentence = f"Moved from {_name(step['from'], names)} to {_name(to, names)}.{why}"
        out.links.append(Link(step["from"]["id"], to["id"], col, "transfer", "moved", sentence))
    else:
        verb = "Moved to" if step["kind"] == "transferred" else "Given to"
        source = " from a body the source does not name" if step["kind"] == "transferred" else ""
        label = "moved here" if step["kind"] == "transferred" else "given"
        sentence = f"{verb} {_name(to, names)}{source}.{why}"
        out.marks.append(Mark(to["id"], col, "changed", label, sentence))
    if step["instead_of"]:
        proposed = step["instead_of"]
        sentence = f"It had been proposed for {_name(proposed, names)}; that was not followed."
        out.bars.append(Bar(proposed["id"], col, min(col + 1, axis.last), "proposed", sentence))


def _announced(out: Picture, axis: Axis, step: Json, names: dict[str, str]) -> None:
    """A hand-over only announced (or announced, then withdrawn): drawn apart from holding."""
    col, to = axis.at(step["position"]), step["to"]
    withdrawn = step.get("stage") == "withdrawn"
    verb = "was announced, then withdrawn" if withdrawn else "is announced, not yet in effect"
    sentence = f"A move to {_name(to, names)} {verb}."
    if step.get("reason"):
        sentence += f" {step['reason']}"
    style: BarStyle = "proposed" if withdrawn else "announced"
    out.bars.append(
        Bar(to["id"], col, min(col + 1, axis.last) if withdrawn else None, style, sentence)
    )


def _holder_change(out: Picture, axis: Axis, event: HistoryEntry, names: dict[str, str]) -> None:
    p: dict[str, Any] = event.payload
    body = p["organisation_id"]
    who = names.get(body, body)
    col = axis.at(event.position)
    if event.type == "OrganisationRenamed":
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
    now = names.get(holder["id"], holder["id"]) if holder else "nobody"
    moves = len(view["handovers"])
    return (
        f"A timeline of the bodies that held this responsibility: {moves} recorded "
        f"step{'s' if moves != 1 else ''}; held now by {now}. The table after the picture "
        "gives the same facts in words."
    )
