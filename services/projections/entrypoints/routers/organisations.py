"""Organisations: list and the full view of one body."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from services.projections.entrypoints.deps import View
from services.projections.entrypoints.responses import answer, cached
from services.projections.service_layer.queries import Snapshot

router = APIRouter(prefix="/v1/organisations", tags=["organisations"])


@router.get("")
async def list_organisations(
    view: View,
    kind: str | None = None,
    status: str | None = None,
) -> Response:
    """List organisations, optionally by kind and status."""

    async def render(snap: Snapshot) -> Response:
        items = await snap.organisations(kind, status)
        return answer(view.request, snap, {"items": items}, items)

    return await cached(view, render)


@router.get("/{organisation_id}")
async def get_organisation(view: View, organisation_id: str) -> Response:
    """One organisation: names, status, links, responsibilities, recommendations, history."""

    async def render(snap: Snapshot) -> Response:
        history = await snap.history("org_ids", organisation_id)
        shown = await snap.organisation(organisation_id, history)
        rows = [
            {k: v for k, v in h.as_json().items() if k != "event"}
            | {"summary": _summary(h.payload)}
            for h in history
        ]
        return answer(view.request, snap, shown, rows)

    return await cached(view, render)


def _summary(payload: dict[str, object]) -> str:
    for key in ("new_name", "name", "description", "response_text", "disposition", "reason"):
        if isinstance(value := payload.get(key), str):
            return value[:200]
    return ""
