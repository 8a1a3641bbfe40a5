"""Organisations: list and the full view of one body."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.projections.entrypoints.deps import AsOf, MinPosition, ReadSide
from services.projections.entrypoints.responses import answer, cached
from services.projections.service_layer.queries import Snapshot

router = APIRouter(prefix="/v1/organisations", tags=["organisations"])


@router.get("")
async def list_organisations(
    request: Request,
    reader: ReadSide,
    bound: AsOf,
    kind: str | None = None,
    status: str | None = None,
    min_position: MinPosition = None,
) -> Response:
    """List organisations, optionally by kind and status."""

    async def render(snap: Snapshot) -> Response:
        items = await snap.organisations(kind, status)
        return answer(request, snap, {"items": items}, items)

    return await cached(request, reader, bound, min_position, render)


@router.get("/{organisation_id}")
async def get_organisation(
    request: Request,
    reader: ReadSide,
    bound: AsOf,
    organisation_id: str,
    min_position: MinPosition = None,
) -> Response:
    """One organisation: names, status, links, responsibilities, recommendations, history."""

    async def render(snap: Snapshot) -> Response:
        history = await snap.history("org_ids", organisation_id)
        view = await snap.organisation(organisation_id, history)
        rows = [
            {k: v for k, v in h.as_json().items() if k != "event"}
            | {"summary": _summary(h.payload)}
            for h in history
        ]
        return answer(request, snap, view, rows)

    return await cached(request, reader, bound, min_position, render)


def _summary(payload: dict[str, object]) -> str:
    for key in ("new_name", "name", "description", "response_text", "disposition", "reason"):
        if isinstance(value := payload.get(key), str):
            return value[:200]
    return ""
