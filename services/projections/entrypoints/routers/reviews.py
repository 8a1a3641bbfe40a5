"""Reviews: counts of their recommendations on two axes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.projections.entrypoints.deps import AsOf, MinPosition, ReadSide
from services.projections.entrypoints.responses import answer, cached
from services.projections.service_layer.queries import Snapshot

router = APIRouter(prefix="/v1/reviews", tags=["reviews"])


@router.get("/{review_id}/summary")
async def summary(
    request: Request,
    reader: ReadSide,
    bound: AsOf,
    review_id: str,
    min_position: MinPosition = None,
) -> Response:
    """Counts of a review's recommendations: response kind x delivery status."""

    async def render(snap: Snapshot) -> Response:
        return answer(request, snap, await snap.summary(review_id))

    return await cached(request, reader, bound, min_position, render)
