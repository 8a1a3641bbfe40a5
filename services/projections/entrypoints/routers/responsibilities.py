"""Responsibilities: lineage of who held what."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response

from services.projections.entrypoints import contract
from services.projections.entrypoints.csv_columns import COLUMNS
from services.projections.entrypoints.deps import CsvOrJson, View
from services.projections.entrypoints.models import ResponsibilityAnswer
from services.projections.entrypoints.responses import answer, cached
from services.projections.service_layer.queries import Snapshot

router = APIRouter(prefix="/v1/responsibilities", tags=["responsibilities"])


@router.get(
    "/{responsibility_id}",
    responses=contract.read(
        ResponsibilityAnswer, "handovers", s404="No responsibility with this id."
    ),
)
async def get_responsibility(
    view: View,
    responsibility_id: Annotated[
        str, Path(description="A responsibility's id, e.g. `talent-management`.")
    ],
    format_: CsvOrJson = None,
) -> Response:
    """A responsibility: who holds it in effect (and since when), every hand-over with names
    then and now, what is announced, its corrections (CSV: the hand-overs)."""

    async def render(snap: Snapshot) -> Response:
        shown = await snap.lineage(responsibility_id)
        return answer(view.request, snap, shown, shown["handovers"], COLUMNS["handovers"])

    return await cached(view, render)
