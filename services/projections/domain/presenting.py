"""The pieces every view is made of: bodies by name (then and now, and what they are part of),
valid time, roles, changes and correction trails as JSON."""

from __future__ import annotations

from typing import Any

from schemas.catalogue import ORGANISATION_FIELDS
from services.projections.domain.model import (
    ANNOUNCED,
    Change,
    Doc,
    Organisation,
    Recommendation,
    Role,
    World,
)

Json = dict[str, Any]

MAX_DEPTH = 3
"""How many levels of "part of" holder fields follow (the plans load as many)."""

INVERSE_ROLES = {"member_of": "composed_of", "accountable_to": "oversees"}
"""The role a body has when another names it as ``related_id``."""

ORG_DETAILS = tuple(f for f in ORGANISATION_FIELDS if f not in ("organisation_id", "owner_id"))
"""The fields of a history entry's details shown as a body (id and name): those that name one
organisation, but for the entry's own body and an action's owner."""


def ref(world: World, org_id: str | None) -> Json | None:
    return None if org_id is None else {"id": org_id, "name": world.org_name(org_id)}


def name_at(world: World, org_id: str, position: int) -> str | None:
    """The body's name in effect at ``position`` (names change only when a rename is in
    effect)."""
    body = world.organisations.get(org_id)
    if body is None:
        return None
    for former in body.former_names:
        if former.until_position > position:
            return former.name
    return body.name


def then_now(world: World, org_id: str | None, position: int) -> Json | None:
    if org_id is None:
        return None
    return {
        "id": org_id,
        "name_then": name_at(world, org_id, position),
        "name_now": world.org_name(org_id),
    }


def part_of(world: World, org_id: str) -> list[str]:
    """The bodies ``org_id`` is (in effect) part of, nearest first, :data:`MAX_DEPTH` deep."""
    chain: list[str] = []
    body = world.organisations.get(org_id)
    while body is not None and body.parent_id and len(chain) < MAX_DEPTH:
        chain.append(body.parent_id)
        body = world.organisations.get(body.parent_id)
    return chain


def holder(world: World, org_id: str | None) -> Json | None:
    """A holder with what it is part of, and the effective holder (the outermost of those)."""
    if org_id is None:
        return None
    chain = part_of(world, org_id)
    return {
        **(ref(world, org_id) or {}),
        "part_of": [ref(world, p) for p in chain],
        "effective": ref(world, chain[-1] if chain else org_id),
    }


def valid(world: World, position: int | None) -> Json | None:
    found = world.valid(position)
    return None if found is None else found.as_json(world.as_of)


def uncertain(world: World, position: int | None) -> bool:
    """In an as-of answer: the fact at ``position`` may or may not hold at that moment."""
    found = world.valid(position)
    as_of = world.as_of
    return as_of is not None and found is not None and not found.certain_at(as_of)


def source(doc_source: Any) -> Json | None:
    return None if doc_source is None else doc_source.model_dump(mode="json")


def change(world: World, entry: Change) -> Json:
    """A change as histories show it: its stage, its fields (bodies by name), valid times of
    the change and of its settling."""
    details: Json = {}
    for name, value in entry.details.items():
        if name in ORG_DETAILS:
            details[name.removesuffix("_id")] = ref(world, value)
        elif name == "successor_ids":
            details["successors"] = [ref(world, s) for s in value or []]
        else:
            details[name] = value
    return {
        "change": entry.change,
        "stage": entry.stage,
        "event_id": entry.event_id,
        "position": entry.position,
        "valid": valid(world, entry.position),
        "expected_on": entry.expected_on.isoformat() if entry.expected_on else None,
        "settled_position": entry.settled_position,
        "settled": valid(world, entry.settled_position),
        "withdrawal_reason": entry.withdrawal_reason,
        **details,
        "recommendation_id": entry.recommendation_id,
        "reason": entry.reason,
        "source": source(entry.source),
    }


def announced(world: World, entries: list[Change]) -> list[Json]:
    return [change(world, e) for e in entries if e.stage == ANNOUNCED]


def role(world: World, entry: Role, origin: str) -> Json:
    return {
        "organisation": ref(world, entry.organisation_id),
        "role": entry.role,
        "related": ref(world, entry.related_id),
        "quote": entry.quote,
        "from": origin,
    }


def roles_of(rec: Recommendation) -> list[tuple[Role, str]]:
    """Every role a recommendation and its (own) response give bodies, with where from."""
    found = [(r, "recommendation") for r in rec.roles]
    if rec.response is not None:
        found += [(r, "response") for r in rec.response.roles]
    return found


def roles_of_body(rec: Recommendation, org_id: str) -> list[str]:
    """The roles ``org_id`` has in ``rec`` (inverse ones when another body names it)."""
    found: list[str] = []
    for entry, _ in roles_of(rec):
        if entry.organisation_id == org_id:
            found.append(entry.role)
        if entry.related_id == org_id:
            found.append(INVERSE_ROLES.get(entry.role, entry.role))
    return list(dict.fromkeys(found))


def corrections(world: World, kind: str, docs: list[Doc]) -> list[Json]:
    """The correction trails of ``docs`` (of one ``kind``), oldest first."""
    prefix = {"responsibilities": "responsibility-", "actions": "action-"}[kind]
    found = [
        {"stream": prefix + doc.id, **entry.model_dump(mode="json")}
        for doc in docs
        for entry in doc.corrections
    ]
    return sorted(found, key=lambda c: (c["position"], c["stream"]))


def organisation_valid(world: World, body: Organisation) -> Json | None:
    return valid(world, body.registered_position)


def fact_keys(world: World) -> set[int]:
    """The facts the documents of ``world`` show (whose valid time views look up)."""
    keys: set[int | None] = set()
    for collection in (
        world.organisations,
        world.reviews,
        world.recommendations,
        world.responsibilities,
        world.actions,
    ):
        for doc in collection.values():
            keys |= {doc.created_position, doc.last_fact_position}
    for org in world.organisations.values():
        keys |= {org.registered_position, org.status_position}
        keys |= {k for c in org.changes for k in (c.position, c.settled_position)}
    for rec in world.recommendations.values():
        keys |= {r.position for r in (rec.response, *rec.revisions) if r is not None}
        keys |= {c.position for c in rec.delivery.claims}
    for resp in world.responsibilities.values():
        keys |= {k for c in resp.handovers for k in (c.position, c.settled_position)}
    for action in world.actions.values():
        keys |= {k for c in action.moves for k in (c.position, c.settled_position)}
    return {k for k in keys if k is not None}
