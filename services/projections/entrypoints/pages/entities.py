"""Pages of one thing each: a recommendation, a body, a responsibility."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from schemas.catalogue import ORGANISATION_FIELDS, ORGANISATION_LIST_FIELDS
from schemas.streams import recommendation_stream
from services.projections.domain.views import Json
from services.projections.entrypoints.pages import timeline
from services.projections.entrypoints.pages.common import end_of, page
from services.projections.entrypoints.pages.pictures import draw, family, lineage
from services.projections.entrypoints.pages.query import View
from services.projections.errors import NotFound
from services.projections.service_layer import pages as reads
from services.projections.service_layer.pages import PageReads
from services.projections.service_layer.queries import Snapshot

router = APIRouter()


def mentioned(payloads: Iterable[dict[str, Any]]) -> set[str]:
    """Every body the events name (their names are shown on the timeline)."""
    ids: set[str] = set()
    for e in payloads:
        ids.update(v for k in ORGANISATION_FIELDS if isinstance(v := e.get(k), str))
        for k in ORGANISATION_LIST_FIELDS:
            ids.update(e.get(k) or ())
        claim = e.get("claim") or {}
        ids.update(v for v in (claim.get("claimed_by"), claim.get("verified_by")) if v)
    return ids


async def _review(snap: Snapshot, review_id: str | None) -> Json | None:
    if review_id is None:
        return None
    try:
        return await snap.summary(review_id)
    except NotFound:
        return None


@router.get("/recommendations/{recommendation_id}")
async def recommendation(request: Request, recommendation_id: str) -> Response:
    """A recommendation: text and source, response, bodies and roles, sub-points, timeline."""

    async def build(snap: Snapshot, more: PageReads, view: View) -> tuple[str, dict[str, Any]]:
        history = await snap.history("rec_ids", recommendation_id)
        rec = await snap.recommendation(recommendation_id, history)
        names = await reads.names(snap, mentioned(h.payload for h in history))
        stream = recommendation_stream(recommendation_id)
        recorded = next(
            (h.payload for h in history if h.stream_id == stream and h.stream_version == 1), {}
        )
        response = rec["response"]
        answered = next(
            (
                h.payload
                for h in history
                if response and h.payload["event_id"] == response["event_id"]
            ),
            {},
        )
        parent = None
        if rec["parent_id"]:
            parent = await snap.recommendation(rec["parent_id"], [])
        return "recommendation.html", {
            "rec": rec,
            "review": await _review(snap, rec["review_id"]),
            "parent": parent,
            "recorded_source": recorded.get("source") or {},
            "response_source": answered.get("source") or {},
            "names": names,
            "timeline": timeline.entries(rec["timeline"], names),
        }

    return await page(request, build)


@router.get("/organisations/{organisation_id}")
async def organisation(request: Request, organisation_id: str) -> Response:
    """A body: what it holds, leads and supports, gains and loses, its family and history."""

    async def build(snap: Snapshot, more: PageReads, view: View) -> tuple[str, dict[str, Any]]:
        history = await snap.history("org_ids", organisation_id)
        org = await snap.organisation(organisation_id, history)
        around = {organisation_id, *(p["id"] for p in org["parts"])}
        for ref in (org["parent"], org["accountable_to"], *org["status_detail"]["successors"]):
            if ref:
                around.add(ref["id"])
        bodies = await reads.bodies(snap, around)
        events = await reads.organisation_events(snap, more, {b["id"] for b in bodies})
        title = f"{org['name']} and the bodies around it over time"
        picture = family.picture(title, bodies, events, end_of(snap, view))
        names = await reads.names(snap, mentioned(h.payload for h in history))
        return "organisation.html", {
            "org": org,
            "picture": draw.shown(picture, "family"),
            "names": names,
            "timeline": timeline.entries(org["history"], names),
        }

    return await page(request, build)


@router.get("/responsibilities/{responsibility_id}")
async def responsibility(request: Request, responsibility_id: str) -> Response:
    """A responsibility's lineage, with its picture."""

    async def build(snap: Snapshot, more: PageReads, view: View) -> tuple[str, dict[str, Any]]:
        found = await snap.lineage(responsibility_id)
        bodies = {
            step[role]["id"]
            for step in found["handovers"]
            for role in ("from", "to", "instead_of")
            if step[role]
        }
        events = await reads.organisation_events(snap, more, bodies)
        names = await reads.names(snap, bodies | mentioned(e.payload for e in events))
        picture = lineage.picture(found, events, names, end_of(snap, view))
        return "responsibility.html", {
            "lineage": found,
            "names": names,
            "picture": draw.shown(picture, "lineage"),
        }

    return await page(request, build)
