"""The organisations' family as a picture: a lane per body (parts under the body they are part
of), a bar for the time it exists, and what happens to it marked on that bar: renamed, made
part of another body, made accountable to one, merged away, dissolved with its successors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from schemas.streams import PREFIXES
from services.common.wording.events import describe
from services.projections.domain.views import HistoryEntry, Json
from services.projections.entrypoints.pages.pictures.axis import Axis
from services.projections.entrypoints.pages.pictures.model import (
    Bar,
    Column,
    Lane,
    Link,
    LinkKind,
    Mark,
    Picture,
)

REGISTERED = "OrganisationRegistered"


def picture(title: str, bodies: list[Json], events: list[HistoryEntry], end: str) -> Picture:
    names = {b["id"]: b["name"] for b in bodies}
    known = [e for e in events if _body(e) in names]
    settles = {e.payload.get("announced_event_id"): e for e in known if e.type in SETTLES}
    changes = [e for e in known if e.type != REGISTERED and e.type not in SETTLES]
    first_change = min((e.position for e in changes), default=None)
    late = [e for e in known if e.type == REGISTERED and first_change and e.position > first_change]
    axis = Axis(
        [(e.position, e.occurred_at, e.recorded_at) for e in changes + late + [*settles.values()]],
        end,
        first=Column("first recorded", _span(known, first_change)),
    )
    at = axis.at
    out = Picture(title, _summary(bodies), axis.columns)
    out.lanes = _tree(bodies)
    effective = {e.position: _effect(e, settles) for e in changes}
    starts = {_body(e): at(e.position) for e in late}
    ends = {_body(e): at(p) for e in changes if _ends(e) and (p := effective[e.position])}
    for body in bodies:
        _life(out, body, starts.get(body["id"], 0), ends.get(body["id"]), known, settles)
    for event in changes:
        if event.payload.get("stage") == "announced":
            _announced(out, at(event.position), event, names, settles)
        if (position := effective[event.position]) is not None:
            _change(out, at(position), event, names)
    return out


SETTLES = ("ChangeTookEffect", "ChangeWithdrawn")
"""Events that settle an announced change: it happened, or it will not."""


def _body(event: HistoryEntry) -> str:
    return event.stream_id.removeprefix(PREFIXES["organisations"])


def _effect(event: HistoryEntry, settles: dict[Any, HistoryEntry]) -> int | None:
    """Where a change is in effect: its own position, or (announced) where it took effect;
    None while only announced, or once withdrawn."""
    if event.payload.get("stage") != "announced":
        return event.position
    settle = settles.get(event.payload.get("event_id"))
    return settle.position if settle is not None and settle.type == "ChangeTookEffect" else None


def _announced(
    out: Picture,
    col: int,
    event: HistoryEntry,
    names: dict[str, str],
    settles: dict[Any, HistoryEntry],
) -> None:
    """The announcement of a change, marked where it was announced."""
    title, _ = describe(event.type, event.payload, names)
    expected = event.payload.get("expected_on")
    sentence = f"Announced: {title}" + (f", expected {expected}" if expected else "") + "."
    settle = settles.get(event.payload.get("event_id"))
    if settle is not None and settle.type == "ChangeWithdrawn":
        sentence += f" Withdrawn at position {settle.position}."
    elif settle is not None:
        sentence += f" It took effect at position {settle.position}."
    out.marks.append(Mark(_body(event), col, "announcement", "announced", sentence))


def _span(events: list[HistoryEntry], before: int | None) -> str:
    found = [
        e.position for e in events if e.type == REGISTERED and (not before or e.position < before)
    ]
    return f"positions {min(found)}–{max(found)}" if found else ""


def _ends(event: HistoryEntry) -> bool:
    return event.type == "OrganisationDissolved" or (
        event.type == "OrganisationMerged" and not event.payload["keeps_identity"]
    )


def _tree(bodies: list[Json]) -> list[Lane]:
    """Bodies with no parent among ``bodies`` first, each followed by its parts, by name."""
    ids = {b["id"] for b in bodies}
    children: dict[str | None, list[Json]] = {}
    for body in bodies:
        parent = (body.get("parent") or {}).get("id")
        children.setdefault(parent if parent in ids else None, []).append(body)
    lanes: list[Lane] = []

    def visit(parent: str | None, depth: int) -> None:
        for body in sorted(children.get(parent, []), key=lambda b: b["name"].casefold()):
            lanes.append(Lane(body["id"], body["name"], min(depth, 4)))
            visit(body["id"], depth + 1)

    visit(None, 0)
    return lanes


def _life(
    out: Picture,
    body: Json,
    start: int,
    end: int | None,
    events: list[HistoryEntry],
    settles: dict[Any, HistoryEntry],
) -> None:
    """A body's bar from its registration to its end; an establishment only announced is
    drawn as announced until it took effect (if it did)."""
    registered = next(
        (e for e in events if e.type == REGISTERED and e.payload["organisation_id"] == body["id"]),
        None,
    )
    when = f" at position {registered.position}" if registered else ""
    ending = "." if end is None else f"; it ends at {out.columns[end].heading}."
    if registered is not None and registered.payload.get("stage") == "announced":
        settle = settles.get(registered.payload.get("event_id"))
        start = _announced_life(out, body, start, end, when, settle)
        if settle is None or settle.type != "ChangeTookEffect":
            return
        when = f" from position {settle.position}"
    sentence = f"{body['name']} is first recorded{when}{ending}"
    out.bars.append(Bar(body["id"], start, end, "in_effect", sentence))


def _announced_life(
    out: Picture, body: Json, start: int, end: int | None, when: str, settle: HistoryEntry | None
) -> int:
    """The bar of an announced establishment: until it took effect, was withdrawn, or (still
    announced) to the end. Returns the column where the body exists from, if it does."""
    name = body["name"]
    stop = _column(out, settle.position) if settle is not None else end
    if settle is None:
        sentence = f"The establishment of {name} is announced{when}; it is not established."
        out.bars.append(Bar(body["id"], start, end, "announced", sentence))
    elif settle.type == "ChangeWithdrawn":
        sentence = f"The establishment of {name} was announced{when}, then withdrawn."
        out.bars.append(Bar(body["id"], start, stop, "proposed", sentence))
    else:
        sentence = f"The establishment of {name} was announced{when}; it took effect later."
        out.bars.append(Bar(body["id"], start, stop, "announced", sentence))
    return stop if stop is not None else start


def _column(out: Picture, position: int) -> int:
    """The column of ``position`` (the last one, now, if it has none of its own)."""
    found = (i for i, c in enumerate(out.columns) if c.position == position)
    return next(found, len(out.columns) - 1)


def _change(out: Picture, col: int, event: HistoryEntry, names: dict[str, str]) -> None:
    p: dict[str, Any] = event.payload
    body = p["organisation_id"]
    who = names.get(body, body)
    lanes = {lane.id for lane in out.lanes}
    if event.type == "OrganisationRenamed":
        sentence = f"{p['previous_name']} was renamed {p['new_name']}."
        out.marks.append(Mark(body, col, "renamed", f"renamed “{p['new_name']}”", sentence))
    elif event.type == "OrganisationMerged":
        _merged(_Scene(out, col, body, who, names, lanes), p)
    elif event.type == "OrganisationDissolved":
        _dissolved(_Scene(out, col, body, who, names, lanes), p)
    elif event.type == "AccountabilityAssigned":
        target = p["accountable_to_id"]
        sentence = f"{who} became accountable to {names.get(target, target)}."
        if target in lanes:
            out.links.append(Link(body, target, col, "accountable", "accountable to", sentence))
        else:
            label = f"accountable to {names.get(target, target)}"
            out.marks.append(Mark(body, col, "changed", label, sentence))


@dataclass(frozen=True)
class _Scene:
    """Where a change of ``body`` (named ``who``) is drawn: ``out`` at column ``col``;
    ``lanes``, the bodies that have a lane in it."""

    out: Picture
    col: int
    body: str
    who: str
    names: dict[str, str]
    lanes: set[str]


def _merged(s: _Scene, p: dict[str, Any]) -> None:
    parent = p["parent_id"]
    name = s.names.get(parent, parent)
    kept = p["keeps_identity"]
    sentence = f"{s.who} became part of {name}" + (", keeping its identity." if kept else ".")
    kind: LinkKind = "part_of" if kept else "merged_into"
    if not kept:
        s.out.marks.append(Mark(s.body, s.col, "merged", "", sentence))
    if parent in s.lanes:
        label = "part of" if kept else "merged into"
        s.out.links.append(Link(s.body, parent, s.col, kind, label, sentence))
    elif kept:
        s.out.marks.append(Mark(s.body, s.col, "changed", f"part of {name}", sentence))


def _dissolved(s: _Scene, p: dict[str, Any]) -> None:
    successors = list(p.get("successor_ids") or [])
    named = ", ".join(s.names.get(b, b) for b in successors) or "no successor named"
    what = f" {p['disposition']}." if p.get("disposition") else ""
    sentence = f"{s.who} was dissolved ({named}).{what}"
    s.out.marks.append(Mark(s.body, s.col, "dissolved", "dissolved", sentence))
    for successor in (b for b in successors if b in s.lanes):
        text = f"{s.who} was succeeded by {s.names.get(successor, successor)}."
        s.out.links.append(Link(s.body, successor, s.col, "successor", "succeeded by", text))


def _summary(bodies: list[Json]) -> str:
    return (
        f"A timeline of {len(bodies)} bod{'y' if len(bodies) == 1 else 'ies'}: which are part "
        "of which, whom they are "
        "accountable to, and when they were renamed, merged or dissolved. The table after the "
        "picture gives the same facts in words."
    )
