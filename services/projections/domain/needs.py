"""What each view reads: the documents a :mod:`views` function looks at, found in a few steps.

A view gives the same answer over a partial world as over the whole one when the partial world
holds (a) every document the view selects with a predicate and (b) every organisation whose
name or status it shows. Each plan lists, step by step, lookups that guarantee both; a step may
use the documents the steps before it found. A lookup is by id or by a filter column, and
may find more than the view selects (the view's own predicates still pick): the store answers
it from the indexed columns of the documents (current answers) or from the ids the stored
events carry (answers as of a bound: a superset of the streams, folded with the same fold).

The filter columns' values are defined here too (:func:`filter_values`), next to the plans that
rely on them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from services.projections.domain.model import Doc, Recommendation, Responsibility, World
from services.projections.domain.views import board_key

ALL = "*"


@dataclass(frozen=True)
class Lookup:
    """Documents of ``kind`` whose ``field`` is (or, for an array, contains) one of ``values``;
    ``field`` is ``"id"``, a filter column, or :data:`ALL` (every document of the kind)."""

    kind: str
    field: str
    values: frozenset[str] = frozenset()


Step = Callable[[World], list[Lookup]]
Plan = list[Step]


def _lookup(kind: str, field: str, values: Iterable[str | None]) -> Lookup:
    return Lookup(kind, field, frozenset(v for v in values if v is not None))


def rec_orgs(rec: Recommendation) -> list[str]:
    """Organisations leading or supporting a recommendation (``org_ids``)."""
    response = rec.response
    return sorted(set(response.lead_ids + response.supporting_ids)) if response else []


def responsibility_orgs(resp: Responsibility) -> list[str]:
    """The holder and every organisation a hand-over moved from, to or instead of."""
    ids = {resp.holder_id}
    for step in resp.handovers:
        ids |= {step.from_id, step.to_id, step.instead_of_id}
    return sorted(i for i in ids if i is not None)


def filter_values(kind: str, doc: Doc) -> dict[str, Any]:
    """Columns computed from a document (beyond its plain fields) for the lookups."""
    if isinstance(doc, Recommendation):
        return {
            "response_kind": doc.response_kind,
            "delivery_status": doc.delivery.status,
            "org_ids": rec_orgs(doc),
            "board_key": board_key(doc),
        }
    if isinstance(doc, Responsibility):
        return {"org_ids": responsibility_orgs(doc)}
    return {}


def mentioned_organisations(world: World) -> set[str]:
    """Every organisation a document of ``world`` names (their names and status are shown)."""
    ids: set[str | None] = set()
    for org in world.organisations.values():
        ids |= {org.parent_id, org.accountable_to_id, *org.successor_ids}
    for rec in world.recommendations.values():
        ids.update(rec_orgs(rec))
    for resp in world.responsibilities.values():
        ids.update(responsibility_orgs(resp))
    return {i for i in ids if i is not None}


def names(world: World) -> list[Lookup]:
    return [_lookup("organisations", "id", mentioned_organisations(world))]


def sub_points(world: World) -> list[Lookup]:
    return [_lookup("recommendations", "parent_id", world.recommendations)]


def organisation(org_id: str) -> Plan:
    """:func:`views.organisation_view`: the body, its parts, what they lead, support, hold,
    moved or own, the sub-points of those recommendations, and every name they show."""

    def body_and_parts(world: World) -> list[Lookup]:
        return [
            _lookup("organisations", "id", [org_id]),
            _lookup("organisations", "parent_id", [org_id]),
        ]

    def involvement(world: World) -> list[Lookup]:
        bodies = [org_id, *(o.id for o in world.organisations.values() if o.parent_id == org_id)]
        return [
            _lookup("recommendations", "org_ids", bodies),
            _lookup("responsibilities", "org_ids", bodies),
            _lookup("actions", "owner_id", [org_id]),
        ]

    return [body_and_parts, involvement, sub_points, names]


def organisation_list(kind: str | None) -> Plan:
    """:func:`views.organisation_list` (``status`` is left to the view)."""

    def bodies(world: World) -> list[Lookup]:
        return [_lookup("organisations", "kind", [kind]) if kind else Lookup("organisations", ALL)]

    return [bodies, names]


def recommendation(rec_id: str) -> Plan:
    """:func:`views.recommendation_view`: it, its sub-points and theirs, what refers to it."""

    def itself(world: World) -> list[Lookup]:
        return [
            _lookup("recommendations", "id", [rec_id]),
            _lookup("recommendations", "parent_id", [rec_id]),
            _lookup("recommendations", "cross_references", [rec_id]),
        ]

    def subs_of_subs(world: World) -> list[Lookup]:
        subs = (r.id for r in world.recommendations.values() if r.parent_id == rec_id)
        return [_lookup("recommendations", "parent_id", subs)]

    return [itself, subs_of_subs, names]


def responsibility(responsibility_id: str) -> Plan:
    """:func:`views.lineage`: the responsibility and the bodies it names."""

    def itself(world: World) -> list[Lookup]:
        return [_lookup("responsibilities", "id", [responsibility_id])]

    return [itself, names]


def review(review_id: str, with_recommendations: bool) -> Plan:
    """:func:`views.review_summary`: the review, and its recommendations unless the store
    counts them (:func:`views.board_counts` as a GROUP BY)."""

    def itself(world: World) -> list[Lookup]:
        found = [_lookup("reviews", "id", [review_id])]
        if with_recommendations:
            found.append(_lookup("recommendations", "review_id", [review_id]))
        return found

    return [itself]


def board(review: str | None, organisation: str | None) -> Plan:
    """:func:`views.board`: candidates by the most selective indexed filter (the view applies
    every filter), their sub-points, the names shown. Current answers page in SQL instead of
    the first step (see :data:`BOARD_DETAILS`)."""

    def candidates(world: World) -> list[Lookup]:
        if organisation is not None:
            return [_lookup("recommendations", "org_ids", [organisation])]
        if review is not None:
            return [_lookup("recommendations", "review_id", [review])]
        return [Lookup("recommendations", ALL)]

    return [candidates, *BOARD_DETAILS]


BOARD_DETAILS: Plan = [sub_points, names]
"""What a page of board rows needs once its top-level recommendations are loaded."""
