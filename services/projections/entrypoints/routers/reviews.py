"""Reviews: counts of their recommendations on two axes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response

from services.projections.entrypoints import contract
from services.projections.entrypoints.deps import JsonOnly, View
from services.projections.entrypoints.models import SummaryAnswer
from services.projections.entrypoints.responses import answer, cached
from services.projections.service_layer.queries import Snapshot

router = APIRouter(prefix="/v1/reviews", tags=["reviews"])


@router.get(
    "/{review_id}/summary",
    responses=contract.read(SummaryAnswer, s404="No review with this id."),
)
async def review_summary(
    view: View,
    review_id: Annotated[str, Path(description="A review's id, e.g. `smith-review`.")],
    format_: JsonOnly = None,
) -> Response:
    """Counts of a review's recommendations: response kind x delivery status."""

    async def render(snap: Snapshot) -> Response:
        return answer(view.request, snap, await snap.summary(review_id))

    return await cached(view, render)
