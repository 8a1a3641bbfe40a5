"""Responsibilities: lineage of who held what."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.projections.entrypoints.deps import AsOf, MinPosition, ReadSide
from services.projections.entrypoints.responses import answer, cached
from services.projections.service_layer.queries import Snapshot

router = APIRouter(prefix="/v1/responsibilities", tags=["responsibilities"])


@router.get("/{responsibility_id}")
async def lineage(
    request: Request,
    reader: ReadSide,
    bound: AsOf,
    responsibility_id: str,
    min_position: MinPosition = None,
) -> Response:
    """A responsibility's holder now and every hand-over, names then and now."""

    async def render(snap: Snapshot) -> Response:
        view = await snap.lineage(responsibility_id)
        return answer(request, snap, view, view["handovers"])

    return await cached(request, reader, bound, min_position, render)
