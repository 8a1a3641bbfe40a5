"""Reads of the pages for people beyond the JSON API's, over the same :class:`Snapshot`: the
reviews Remit holds, how fresh an answer is, the bodies of a review or around a body, and
the events that place their changes in time (for the pictures).

Everything a page shows of a review, recommendation, body or responsibility still comes from
the :class:`Snapshot` views the JSON API serves; these only add what a page shows beside them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from services.projections.domain import needs, views
from services.projections.domain.model import World
from services.projections.domain.needs import ALL, Lookup
from services.projections.domain.views import HistoryEntry, Json
from services.projections.service_layer.ports import Bound, SnapshotReads
from services.projections.service_layer.queries import Snapshot


class PageReads(Protocol):
    """What the pages read beyond the views, in the same snapshot (PostgreSQL:
    ``adapters/page_reads.py``)."""

    async def last_recorded(self, position: int) -> datetime | None:
        """When the event at or before ``position`` was recorded (how fresh an answer is)."""
        ...

    async def organisation_events(self, org_ids: set[str], bound: Bound) -> list[HistoryEntry]:
        """The facts of these bodies' own streams (registered, renamed, merged, dissolved,
        accountable to, and what settles an announced change), up to ``bound``, as corrected
        (corrections apply at every position; retracted facts are left out), in position
        order."""
        ...

    async def review_organisations(self, review_id: str, bound: Bound) -> set[str]:
        """Every body an event of the review, or of one of its recommendations, names (up to
        ``bound``): leads and supporters, bodies merged, dissolved or made accountable by its
        recommendations, holders its hand-overs moved between, owners of its actions."""
        ...


PageReadsOf = Callable[[SnapshotReads], PageReads]
"""The page reads of a snapshot (wired in ``bootstrap.py``)."""


async def reviews(snap: Snapshot) -> list[Json]:
    """:meth:`Snapshot.summary` of every review, by title."""
    world = await snap.gather([lambda world: [Lookup("reviews", ALL)]])
    found = sorted((r for r in world.reviews.values() if r.title), key=lambda r: r.title or "")
    return [await snap.summary(review.id) for review in found]


async def freshness(snap: Snapshot, more: PageReads) -> datetime | None:
    """When the last event the answer reflects was recorded."""
    return await more.last_recorded(snap.reflects)


async def bodies(snap: Snapshot, org_ids: set[str]) -> list[Json]:
    """:func:`views.organisation_summary` of these bodies, their parts, and the bodies they
    are part of, accountable to or succeeded by (registered ones only), by name."""

    def around(world: World) -> list[Lookup]:
        ids = frozenset(org_ids)
        return [Lookup("organisations", "id", ids), Lookup("organisations", "parent_id", ids)]

    world = await snap.gather([around, needs.names, needs.names])
    found = [o for o in world.organisations.values() if o.registered_position is not None]
    found.sort(key=lambda o: ((o.name or "").casefold(), o.id))
    return [views.organisation_summary(world, o) for o in found]


async def organisation_events(
    snap: Snapshot, more: PageReads, org_ids: set[str]
) -> list[HistoryEntry]:
    """Registrations, renames, merges, dissolutions and accountability of these bodies."""
    return await more.organisation_events(org_ids, snap.bound)


async def review_bodies(
    snap: Snapshot, more: PageReads, review_id: str
) -> tuple[list[Json], list[HistoryEntry]]:
    """The bodies of a review (and their family) with the events of their own streams."""
    named = await more.review_organisations(review_id, snap.bound)
    found = await bodies(snap, named)
    return found, await organisation_events(snap, more, {b["id"] for b in found})


async def names(snap: Snapshot, org_ids: set[str]) -> dict[str, str]:
    """Names of these bodies (as of the bound); bodies never registered are left out."""
    ids = frozenset(org_ids)
    world = await snap.gather([lambda world: [Lookup("organisations", "id", ids)]])
    return {o.id: o.name for o in world.organisations.values() if o.name is not None}


async def review_leads(snap: Snapshot, review_id: str) -> list[Json]:
    """The bodies that lead or support a recommendation on the review's board (the board's
    body filter), by name."""

    def recommendations(world: World) -> list[Lookup]:
        return [Lookup("recommendations", "review_id", frozenset({review_id}))]

    world = await snap.gather([recommendations, needs.names])
    ids = {
        org
        for rec in world.recommendations.values()
        if rec.review_id == review_id and views.board_key(rec) is not None
        for org in needs.rec_orgs(rec)
    }
    found = [world.organisations[i] for i in ids if i in world.organisations]
    found.sort(key=lambda o: ((o.name or o.id).casefold(), o.id))
    return [{"id": o.id, "name": o.name or o.id} for o in found]
