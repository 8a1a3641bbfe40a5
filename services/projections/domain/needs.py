"""What each view reads: the documents a :mod:`views` function looks at, found in a few steps.

A view gives the same answer over a partial world as over the whole one when the partial world
holds (a) every document the view selects with a predicate and (b) every document whose name,
status or response it shows (organisations it names, and what they are part of; the parent of a
sub-point, whose response it inherits). Each plan lists, step by step, lookups that guarantee
both; a step may use the documents the steps before it found. A lookup is by id or by a filter
column, and may find more than the view selects (the view's own predicates still pick): the
store answers it from the indexed columns of the documents (current answers) or from the ids
the stored facts carry (answers as of a bound: a superset of the streams, folded with the same
fold).

The filter columns' values are defined here too (:func:`filter_values`), next to the plans that
rely on them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from services.projections.domain.model import (
    Action,
    Doc,
    Organisation,
    Recommendation,
    Responsibility,
    World,
)
from services.projections.domain.presenting import MAX_DEPTH, ORG_DETAILS, roles_of
from services.projections.domain.views import board_key

ALL = "*"


@dataclass(frozen=True)
class Lookup:
    """Documents of ``kind`` whose ``field`` is (or, for an array, contains) one of ``values``;
    ``field`` is ``"id"``, a filter column, or :data:`ALL` (every document of the kind)."""

    kind: str
    field: str
    values: frozenset[str] = frozenset()


Step = Any  # Callable[[World], list[Lookup]]
Plan = list[Step]


def _lookup(kind: str, field: str, values: Iterable[str | None]) -> Lookup:
    return Lookup(kind, field, frozenset(v for v in values if v is not None))


def rec_orgs(rec: Recommendation) -> list[str]:
    """Organisations a recommendation or its response names in any role (``org_ids``)."""
    ids = {i for r, _ in roles_of(rec) for i in (r.organisation_id, r.related_id)}
    return sorted(i for i in ids if i is not None)


def _change_orgs(entries: Iterable[Any]) -> set[str | None]:
    ids: set[str | None] = set()
    for entry in entries:
        for name, value in entry.details.items():
            if name in ORG_DETAILS:
                ids.add(value)
            elif name == "successor_ids":
                ids.update(value or ())
    return ids


def responsibility_orgs(resp: Responsibility) -> list[str]:
    """The holder and every organisation a hand-over (any stage) moves from, to or instead of."""
    ids = {resp.holder_id} | _change_orgs(resp.handovers)
    return sorted(i for i in ids if i is not None)


def action_orgs(action: Action) -> list[str]:
    ids = {action.owner_id} | _change_orgs(action.moves)
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
    if isinstance(doc, Action):
        return {"org_ids": action_orgs(doc)}
    return {}


def _organisation_orgs(org: Organisation) -> set[str | None]:
    return {org.parent_id, org.accountable_to_id, *org.successor_ids} | _change_orgs(org.changes)


def mentioned_organisations(world: World) -> set[str]:
    """Every organisation a document of ``world`` names (their names and status are shown)."""
    ids: set[str | None] = set()
    for org in world.organisations.values():
        ids |= _organisation_orgs(org)
    for rec in world.recommendations.values():
        ids.update(rec_orgs(rec))
    for resp in world.responsibilities.values():
        ids.update(responsibility_orgs(resp))
    for action in world.actions.values():
        ids.update(action_orgs(action))
    return {i for i in ids if i is not None}


def names(world: World) -> list[Lookup]:
    return [_lookup("organisations", "id", mentioned_organisations(world))]


def parents(world: World) -> list[Lookup]:
    """What the bodies found so far are part of (one level; plans repeat it)."""
    return [_lookup("organisations", "id", (o.parent_id for o in world.organisations.values()))]


NAMES: list[Step] = [names, *[parents] * MAX_DEPTH]
"""Every body a view names, and what they are part of (holders show it)."""


def sub_points(world: World) -> list[Lookup]:
    return [_lookup("recommendations", "parent_id", world.recommendations)]


def answering_parents(world: World) -> list[Lookup]:
    """The parents of sub-points (a sub-point without a response inherits its parent's)."""
    return [_lookup("recommendations", "id", (r.parent_id for r in world.recommendations.values()))]


def organisation(org_id: str) -> Plan:
    """:func:`views.organisation_view`: the body, its parts, what names them (recommendations,
    responsibilities, actions), those recommendations' sub-points and parents, and every body
    all of these name."""

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
            _lookup("actions", "org_ids", bodies),
        ]

    return [body_and_parts, involvement, sub_points, answering_parents, *NAMES]


def organisation_list(kind: str | None) -> Plan:
    """:func:`views.organisation_list` (``status`` is left to the view)."""

    def bodies(world: World) -> list[Lookup]:
        return [_lookup("organisations", "kind", [kind]) if kind else Lookup("organisations", ALL)]

    return [bodies, *NAMES]


def recommendation(rec_id: str) -> Plan:
    """:func:`views.recommendation_view`: it, its sub-points and theirs, what refers to it, its
    parent (whose response a sub-point inherits)."""

    def itself(world: World) -> list[Lookup]:
        return [
            _lookup("recommendations", "id", [rec_id]),
            _lookup("recommendations", "parent_id", [rec_id]),
            _lookup("recommendations", "cross_references", [rec_id]),
        ]

    def subs_of_subs(world: World) -> list[Lookup]:
        subs = (r.id for r in world.recommendations.values() if r.parent_id == rec_id)
        return [_lookup("recommendations", "parent_id", subs)]

    return [itself, subs_of_subs, answering_parents, *NAMES]


def responsibility(responsibility_id: str) -> Plan:
    """:func:`views.lineage`: the responsibility and the bodies it names."""

    def itself(world: World) -> list[Lookup]:
        return [_lookup("responsibilities", "id", [responsibility_id])]

    return [itself, *NAMES]


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


BOARD_DETAILS: Plan = [sub_points, *NAMES]
"""What a page of board rows needs once its top-level recommendations are loaded."""
