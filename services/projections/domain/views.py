"""Views: pure functions from a :class:`World` (current or as of a bound) to JSON-ready dicts.

The HTTP layer serves the current world from the materialised documents and an as-of world from
a fold over stored facts; both go through these functions, so each rule lives here once. Only
what is in effect is current state; what is announced is listed apart; every history entry
carries its stage and valid time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from schemas.upcasting import decode
from schemas.wire import PositionedEvent
from services.projections.domain import presenting as p
from services.projections.domain.model import (
    IN_EFFECT,
    NO_RESPONSE,
    TOOK_EFFECT,
    Change,
    Organisation,
    Recommendation,
    Response,
    Responsibility,
    World,
)
from services.projections.domain.rules import correction_entry
from services.projections.errors import NotFound

Json = dict[str, Any]

ROLE_ORDER = (
    "lead",
    "supporting",
    "recipient",
    "subject",
    "not_leading",
    "originally_proposed",
    "named",
    "member_of",
    "composed_of",
    "accountable_to",
    "oversees",
)
"""Roles in the order a body's view lists them."""


@dataclass(frozen=True)
class HistoryEntry:
    """A stored event, as histories and timelines show it."""

    position: int
    type: str
    stream_id: str
    stream_version: int
    occurred_at: datetime | None
    recorded_at: datetime
    payload: Json

    def as_json(self) -> Json:
        return {
            "position": self.position,
            "type": self.type,
            "stream_id": self.stream_id,
            "stream_version": self.stream_version,
            "occurred_at": self.occurred_at.isoformat() if self.occurred_at else None,
            "recorded_at": self.recorded_at.isoformat(),
            "event": self.payload,
        }


def known_organisation(world: World, org_id: str) -> Organisation:
    org = world.organisations.get(org_id)
    if org is None or org.registered_position is None:
        raise NotFound(f"no organisation {org_id!r}")
    return org


def organisation_summary(world: World, org: Organisation) -> Json:
    return {
        "id": org.id,
        "name": org.name,
        "kind": org.kind,
        "abbreviation": org.abbreviation,
        "status": org.status,
        "former_names": [f.model_dump(mode="json") for f in org.former_names],
        "parent": p.ref(world, org.parent_id),
        "accountable_to": p.ref(world, org.accountable_to_id),
        "announced": [c.change for c in org.changes if c.stage == "announced"],
        "valid": p.organisation_valid(world, org),
        **({"uncertain": True} if p.uncertain(world, org.registered_position) else {}),
    }


def organisation_list(world: World, kind: str | None, status: str | None) -> list[Json]:
    return [
        organisation_summary(world, org)
        for org in sorted(world.organisations.values(), key=lambda o: o.id)
        if org.registered_position is not None
        and (kind is None or org.kind == kind)
        and (status is None or org.status == status)
    ]


def _status(world: World, org: Organisation) -> Json:
    return {
        "status": org.status,
        "keeps_identity": org.keeps_identity,
        "reason": org.merge_reason,
        "scope": org.scope,
        "successors": [p.ref(world, s) for s in org.successor_ids],
        "disposition": org.disposition,
        "recommendation_id": org.status_recommendation_id,
        "valid": p.valid(world, org.status_position),
    }


def sub_points(world: World, rec_id: str) -> list[Recommendation]:
    subs = [r for r in world.recommendations.values() if r.parent_id == rec_id]
    return sorted(subs, key=sort_key)


def sort_key(rec: Recommendation) -> str:
    """Order of recommendations everywhere: review, number by its digits, label, id.

    A string so that the store can keep it in a column and page in the same order
    (``ORDER BY board_key COLLATE "C"``: byte order of UTF-8 is code-point order).
    """
    digits = "".join(c for c in rec.number or "" if c.isdigit()).lstrip("0") or "0"
    return "\x01".join(
        (rec.review_id or "", f"{len(digits):03d}{digits}", rec.number or "", rec.id)
    )


def board_key(rec: Recommendation) -> str | None:
    """:func:`sort_key` of a recommendation on the board (top-level, in a review), else None."""
    return sort_key(rec) if rec.parent_id is None and rec.review_id is not None else None


def answered_by(world: World, rec: Recommendation) -> tuple[Response | None, str | None]:
    """The response that answers ``rec``: its own, or (a sub-point without one) its
    parent's, with the parent's id."""
    if rec.response is not None or rec.parent_id is None:
        return rec.response, None
    parent = world.recommendations.get(rec.parent_id)
    if parent is None or parent.response is None:
        return None, None
    return parent.response, parent.id


def response_kind(world: World, rec: Recommendation) -> str:
    response, _ = answered_by(world, rec)
    return response.kind if response else NO_RESPONSE


def _inherited(world: World, rec: Recommendation) -> Json:
    _, parent = answered_by(world, rec)
    return {"response_inherited_from": parent}


def recommendation_brief(world: World, rec: Recommendation) -> Json:
    response = rec.response
    return {
        "id": rec.id,
        "review_id": rec.review_id,
        "number": rec.number,
        "text": rec.text,
        "response": response_kind(world, rec),
        **_inherited(world, rec),
        "delivery": rec.delivery.status,
        "leads": [p.ref(world, i) for i in (response.with_role("lead") if response else [])],
        "supporters": [
            p.ref(world, i) for i in (response.with_role("supporting") if response else [])
        ],
        "roles": [
            {**(p.ref(world, r.organisation_id) or {}), "role": r.role} for r, _ in p.roles_of(rec)
        ],
        "sub_points": [
            {
                "id": s.id,
                "number": s.number,
                "text": s.text,
                "response": response_kind(world, s),
                **_inherited(world, s),
            }
            for s in sub_points(world, rec.id)
        ],
    }


def _named_in(world: World, org_id: str) -> dict[str, list[Json]]:
    """Every recommendation naming the body, grouped by its role there."""
    grouped: dict[str, list[Recommendation]] = {}
    for rec in world.recommendations.values():
        for role in p.roles_of_body(rec, org_id):
            grouped.setdefault(role, []).append(rec)
    order = {role: i for i, role in enumerate(ROLE_ORDER)}
    return {
        role: [recommendation_brief(world, r) for r in sorted(recs, key=sort_key)]
        for role, recs in sorted(grouped.items(), key=lambda kv: order.get(kv[0], len(order)))
    }


def _moves(world: World, org_id: str, side: str) -> list[Json]:
    """Hand-overs (any stage) that moved, or will move, a responsibility to or from the body
    (``side``: "to_id", "from_id" or "instead_of_id")."""
    out = []
    for resp in sorted(world.responsibilities.values(), key=lambda r: r.id):
        for step in resp.handovers:
            if step.details.get(side) == org_id and (side != "to_id" or step.change == "transfer"):
                out.append({"responsibility_id": resp.id, **_step(world, resp, step)})
    return sorted(out, key=lambda s: s["position"])


def _step(world: World, resp: Responsibility, step: Change) -> Json:
    at = step.settled_position if step.stage == TOOK_EFFECT else step.position
    body = p.change(world, step)
    for side in ("from", "to", "instead_of"):
        body[side] = p.then_now(world, step.details.get(f"{side}_id"), at or step.position)
    if step.change == "assignment":
        body["to"] = p.then_now(world, step.details.get("holder_id"), at or step.position)
        body.pop("holder", None)
    return {"description": resp.description, **body}


def _held(world: World, org_id: str) -> list[Json]:
    held = [r for r in world.responsibilities.values() if r.holder_id == org_id]
    return [
        {"id": r.id, "description": r.description, "since": _since(world, r.handovers)}
        for r in sorted(held, key=lambda r: r.id)
    ]


def _since(world: World, moves: list[Change]) -> Json | None:
    """The valid time of the move that put the current holder in place."""
    in_effect = [m for m in moves if m.stage in (IN_EFFECT, TOOK_EFFECT)]
    if not in_effect:
        return None
    last = max(in_effect, key=lambda m: m.effective_position or 0)
    return p.valid(world, last.effective_position)


def _announced_duties(world: World, org_id: str) -> list[Json]:
    """Responsibilities announced to come to the body or to leave it."""
    out = []
    for resp in sorted(world.responsibilities.values(), key=lambda r: r.id):
        for step in resp.handovers:
            if step.stage != "announced":
                continue
            to = step.details.get("to_id") or step.details.get("holder_id")
            direction = (
                "in" if to == org_id else "out" if step.details.get("from_id") == org_id else None
            )
            if direction:
                out.append({"id": resp.id, "direction": direction, **_step(world, resp, step)})
    return out


def _actions(world: World, org_id: str) -> tuple[list[Json], list[Json]]:
    owned, announced = [], []
    for action in sorted(world.actions.values(), key=lambda a: a.id):
        body = {
            "id": action.id,
            "description": action.description,
            "review_id": action.review_id,
            "recommendation_id": action.recommendation_id,
            "owner": p.holder(world, action.owner_id),
            "delivery": action.delivery.model_dump(mode="json"),
            "moves": [p.change(world, m) for m in action.moves],
        }
        if action.owner_id == org_id:
            owned.append(body)
        elif any(m.stage == "announced" and m.details.get("to_id") == org_id for m in action.moves):
            announced.append(body)
    return owned, announced


def _involvement(world: World, org_id: str) -> Json:
    named = _named_in(world, org_id)
    return {
        "responsibilities": _held(world, org_id),
        "announced_responsibilities": _announced_duties(world, org_id),
        "recommendations": named,
        "leads": named.get("lead", []),
        "supports": named.get("supporting", []),
    }


def organisation_view(world: World, org_id: str, history: list[HistoryEntry]) -> Json:
    org = known_organisation(world, org_id)
    children = sorted(
        (o for o in world.organisations.values() if o.parent_id == org_id), key=lambda o: o.id
    )
    owned, announced_actions = _actions(world, org_id)
    return {
        **organisation_summary(world, org),
        "description": org.description,
        "member_count": org.member_count,
        "members_known": org.members_known,
        "status_detail": _status(world, org),
        "announced": p.announced(world, org.changes),
        "changes": [p.change(world, c) for c in org.changes],
        **_involvement(world, org_id),
        "transferred_in": _moves(world, org_id, "to_id"),
        "transferred_out": _moves(world, org_id, "from_id"),
        "proposals_not_followed": _moves(world, org_id, "instead_of_id"),
        "actions": owned,
        "announced_actions": announced_actions,
        "parts": [
            {**organisation_summary(world, c), **_involvement(world, c.id)} for c in children
        ],
        "corrections": _trail(history),
        "history": [h.as_json() for h in history],
    }


def _trail(history: list[HistoryEntry]) -> list[Json]:
    """The corrections among stored events (a correction names what its events named)."""
    found = []
    for h in history:
        if h.type == "RecordsCorrected":
            entry = correction_entry(PositionedEvent(decode(h.payload), h.position))
            found.append({"stream": h.stream_id, **entry.model_dump(mode="json")})
    return found


def board(
    world: World,
    review: str | None = None,
    response: str | None = None,
    delivery: str | None = None,
    organisation: str | None = None,
) -> list[Json]:
    """Top-level recommendations (sub-points nested), filtered."""
    rows = []
    for rec in sorted(world.recommendations.values(), key=sort_key):
        if board_key(rec) is None:
            continue
        if (
            (review is None or rec.review_id == review)
            and (response is None or rec.response_kind == response)
            and (delivery is None or rec.delivery.status == delivery)
            and (organisation is None or p.roles_of_body(rec, organisation))
        ):
            rows.append(recommendation_brief(world, rec))
    return rows


Counts = dict[tuple[str, str], int]
"""Recommendations on the board by (response kind, delivery status)."""


def board_counts(world: World, review_id: str) -> Counts:
    """:data:`Counts` of a review's board (the store answers the same with a GROUP BY)."""
    counts: Counts = {}
    for rec in world.recommendations.values():
        if rec.review_id == review_id and board_key(rec) is not None:
            cell = (rec.response_kind, rec.delivery.status)
            counts[cell] = counts.get(cell, 0) + 1
    return counts


def review_summary(world: World, review_id: str, counts: Counts | None = None) -> Json:
    """Counts of top-level recommendations: response kind × delivery status.

    ``counts`` defaults to :func:`board_counts` over ``world`` (which then needs every
    recommendation of the review); given, ``world`` needs only the review.
    """
    review = world.reviews.get(review_id)
    if review is None or review.title is None:
        raise NotFound(f"no review {review_id!r}")
    matrix: dict[str, dict[str, int]] = {}
    by_response: dict[str, int] = {}
    by_delivery: dict[str, int] = {}
    cells = board_counts(world, review_id) if counts is None else counts
    for (kind, status), n in sorted(cells.items()):
        matrix.setdefault(kind, {})[status] = n
        by_response[kind] = by_response.get(kind, 0) + n
        by_delivery[status] = by_delivery.get(status, 0) + n
    return {
        "review": {
            "id": review.id,
            "title": review.title,
            "authors": review.authors,
            "published": {
                "on": _day(review.published_on),
                "source": p.source(review.published_source),
            },
            "response_published": {
                "on": _day(review.response_published_on),
                "source": p.source(review.response_published_source),
            },
        },
        "recommendation_count": review.recommendation_count,
        "recorded": sum(by_response.values()),
        "by_response": by_response,
        "by_delivery": by_delivery,
        "matrix": matrix,
        "unanswered_label": NO_RESPONSE,
    }


def _day(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def recommendation_view(world: World, rec_id: str, timeline: list[HistoryEntry]) -> Json:
    rec = world.recommendations.get(rec_id)
    if rec is None or rec.text is None:
        raise NotFound(f"no recommendation {rec_id!r}")
    referenced_by = sorted(
        r.id for r in world.recommendations.values() if rec_id in r.cross_references
    )
    answer, parent = answered_by(world, rec)
    answering = world.recommendations[parent] if parent else rec
    response = None
    if answer is not None:
        response = {
            **answer.model_dump(mode="json"),
            "roles": [p.role(world, r, "response") for r in answer.roles],
            "leads": [p.ref(world, i) for i in answer.with_role("lead")],
            "supporters": [p.ref(world, i) for i in answer.with_role("supporting")],
            "revisions": [r.model_dump(mode="json") for r in answering.revisions],
            "valid": p.valid(world, answer.position),
        }
    return {
        "id": rec.id,
        "review_id": rec.review_id,
        "number": rec.number,
        "text": rec.text,
        "source": p.source(rec.source),
        "parent_id": rec.parent_id,
        "sub_points": [recommendation_brief(world, s) for s in sub_points(world, rec_id)],
        "cross_references": {"to": rec.cross_references, "from": referenced_by},
        "roles": [p.role(world, r, origin) for r, origin in p.roles_of(rec)],
        "response_kind": answer.kind if answer else NO_RESPONSE,
        "response_inherited_from": parent,
        "response": response,
        "delivery": rec.delivery.model_dump(mode="json"),
        "valid": p.valid(world, rec.created_position),
        "corrections": _trail(timeline),
        "timeline": [h.as_json() for h in timeline],
    }


def lineage(world: World, responsibility_id: str) -> Json:
    resp = world.responsibilities.get(responsibility_id)
    if resp is None or not resp.handovers:
        raise NotFound(f"no responsibility {responsibility_id!r}")
    holder_doc = world.organisations.get(resp.holder_id or "")
    return {
        "id": resp.id,
        "description": resp.description,
        "holder": p.holder(world, resp.holder_id),
        "holder_status": holder_doc.status if holder_doc else None,
        "holder_since": _since(world, resp.handovers),
        "handovers": [_step(world, resp, s) for s in resp.handovers],
        "announced": [_step(world, resp, s) for s in resp.handovers if s.stage == "announced"],
        "corrections": p.corrections(world, "responsibilities", [resp]),
    }
