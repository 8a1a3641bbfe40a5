"""Reviews: counts of their recommendations on two axes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from services.projections.entrypoints.deps import View
from services.projections.entrypoints.responses import answer, cached
from services.projections.service_layer.queries import Snapshot

router = APIRouter(prefix="/v1/reviews", tags=["reviews"])


@router.get("/{review_id}/summary")
async def summary(view: View, review_id: str) -> Response:
    """Counts of a review's recommendations: response kind x delivery status."""

    async def render(snap: Snapshot) -> Response:
        return answer(view.request, snap, await snap.summary(review_id))

    return await cached(view, render)
