"""Views: pure functions from a :class:`World` (current or as of a bound) to JSON-ready dicts.

The HTTP layer serves the current world from the materialised documents and an as-of world from
a fold over stored events; both go through these functions, so each rule lives here once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.projections.domain.model import (
    NO_RESPONSE,
    Organisation,
    Recommendation,
    World,
)
from services.projections.errors import NotFound

Json = dict[str, Any]


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


def _ref(world: World, org_id: str | None) -> Json | None:
    return None if org_id is None else {"id": org_id, "name": world.org_name(org_id)}


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
        "parent": _ref(world, org.parent_id),
        "accountable_to": _ref(world, org.accountable_to_id),
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
        "successors": [_ref(world, s) for s in org.successor_ids],
        "disposition": org.disposition,
        "recommendation_id": org.status_recommendation_id,
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


def recommendation_brief(world: World, rec: Recommendation) -> Json:
    response = rec.response
    return {
        "id": rec.id,
        "review_id": rec.review_id,
        "number": rec.number,
        "text": rec.text,
        "response": rec.response_kind,
        "delivery": rec.delivery.status,
        "leads": [_ref(world, i) for i in (response.lead_ids if response else [])],
        "supporters": [_ref(world, i) for i in (response.supporting_ids if response else [])],
        "sub_points": [
            {"id": s.id, "number": s.number, "text": s.text, "response": s.response_kind}
            for s in sub_points(world, rec.id)
        ],
    }


def _roles(world: World, org_id: str, role: str) -> list[Json]:
    found = [
        r
        for r in world.recommendations.values()
        if r.response is not None and org_id in getattr(r.response, role)
    ]
    return [recommendation_brief(world, r) for r in sorted(found, key=sort_key)]


def _handovers(world: World, org_id: str, field: str) -> list[Json]:
    out = []
    for resp in sorted(world.responsibilities.values(), key=lambda r: r.id):
        for step in resp.handovers:
            if getattr(step, field) == org_id and (field != "to_id" or step.kind == "transferred"):
                out.append({"responsibility_id": resp.id, **_step(world, resp.description, step)})
    return sorted(out, key=lambda s: s["position"])


def _step(world: World, description: str | None, step: Any) -> Json:
    now = {k: world.org_name(getattr(step, f"{k}_id")) for k in ("from", "to", "instead_of")}
    return {
        "description": description,
        "kind": step.kind,
        "from": _then_now(step.from_id, step.from_name, now["from"]),
        "to": _then_now(step.to_id, step.to_name, now["to"]),
        "instead_of": _then_now(step.instead_of_id, step.instead_of_name, now["instead_of"]),
        "reason": step.reason,
        "recommendation_id": step.recommendation_id,
        "position": step.position,
        "occurred_at": step.occurred_at.isoformat() if step.occurred_at else None,
        "recorded_at": step.recorded_at.isoformat(),
    }


def _then_now(org_id: str | None, then: str | None, now: str | None) -> Json | None:
    return None if org_id is None else {"id": org_id, "name_then": then, "name_now": now}


def _held(world: World, org_id: str) -> list[Json]:
    held = [r for r in world.responsibilities.values() if r.holder_id == org_id]
    return [{"id": r.id, "description": r.description} for r in sorted(held, key=lambda r: r.id)]


def _actions(world: World, org_id: str) -> list[Json]:
    owned = sorted((a for a in world.actions.values() if a.owner_id == org_id), key=lambda a: a.id)
    return [a.model_dump(mode="json", exclude={"version"}) for a in owned]


def _involvement(world: World, org_id: str) -> Json:
    return {
        "responsibilities": _held(world, org_id),
        "leads": _roles(world, org_id, "lead_ids"),
        "supports": _roles(world, org_id, "supporting_ids"),
    }


def organisation_view(world: World, org_id: str, history: list[HistoryEntry]) -> Json:
    org = known_organisation(world, org_id)
    children = sorted(
        (o for o in world.organisations.values() if o.parent_id == org_id), key=lambda o: o.id
    )
    return {
        **organisation_summary(world, org),
        "description": org.description,
        "member_count": org.member_count,
        "members_known": org.members_known,
        "status_detail": _status(world, org),
        **_involvement(world, org_id),
        "transferred_in": _handovers(world, org_id, "to_id"),
        "transferred_out": _handovers(world, org_id, "from_id"),
        "proposals_not_followed": _handovers(world, org_id, "instead_of_id"),
        "actions": _actions(world, org_id),
        "parts": [
            {**organisation_summary(world, c), **_involvement(world, c.id)} for c in children
        ],
        "history": [h.as_json() for h in history],
    }


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
        involved = rec.response.lead_ids + rec.response.supporting_ids if rec.response else []
        if (
            (review is None or rec.review_id == review)
            and (response is None or rec.response_kind == response)
            and (delivery is None or rec.delivery.status == delivery)
            and (organisation is None or organisation in involved)
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
        "review": {"id": review.id, "title": review.title, "author": review.author},
        "recommendation_count": review.recommendation_count,
        "recorded": sum(by_response.values()),
        "by_response": by_response,
        "by_delivery": by_delivery,
        "matrix": matrix,
        "unanswered_label": NO_RESPONSE,
    }


def recommendation_view(world: World, rec_id: str, timeline: list[HistoryEntry]) -> Json:
    rec = world.recommendations.get(rec_id)
    if rec is None or rec.text is None:
        raise NotFound(f"no recommendation {rec_id!r}")
    referenced_by = sorted(
        r.id for r in world.recommendations.values() if rec_id in r.cross_references
    )
    response = None
    if rec.response is not None:
        response = {
            **rec.response.model_dump(mode="json"),
            "leads": [_ref(world, i) for i in rec.response.lead_ids],
            "supporters": [_ref(world, i) for i in rec.response.supporting_ids],
            "revisions": [r.model_dump(mode="json") for r in rec.revisions],
        }
    return {
        "id": rec.id,
        "review_id": rec.review_id,
        "number": rec.number,
        "text": rec.text,
        "parent_id": rec.parent_id,
        "sub_points": [recommendation_brief(world, s) for s in sub_points(world, rec_id)],
        "cross_references": {"to": rec.cross_references, "from": referenced_by},
        "response_kind": rec.response_kind,
        "response": response,
        "delivery": rec.delivery.model_dump(mode="json"),
        "timeline": [h.as_json() for h in timeline],
    }


def lineage(world: World, responsibility_id: str) -> Json:
    resp = world.responsibilities.get(responsibility_id)
    if resp is None or not resp.handovers:
        raise NotFound(f"no responsibility {responsibility_id!r}")
    holder = world.organisations.get(resp.holder_id or "")
    return {
        "id": resp.id,
        "description": resp.description,
        "holder": _ref(world, resp.holder_id),
        "holder_status": holder.status if holder else None,
        "handovers": [_step(world, resp.description, s) for s in resp.handovers],
    }
