"""Responsibilities: lineage of who held what."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from services.projections.entrypoints.deps import View
from services.projections.entrypoints.responses import answer, cached
from services.projections.service_layer.queries import Snapshot

router = APIRouter(prefix="/v1/responsibilities", tags=["responsibilities"])


@router.get("/{responsibility_id}")
async def lineage(view: View, responsibility_id: str) -> Response:
    """A responsibility's holder now and every hand-over, names then and now."""

    async def render(snap: Snapshot) -> Response:
        shown = await snap.lineage(responsibility_id)
        return answer(view.request, snap, shown, shown["handovers"])

    return await cached(view, render)
