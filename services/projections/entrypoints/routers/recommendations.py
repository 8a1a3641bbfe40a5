"""Recommendations: the board (filtered list) and one recommendation in full."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from schemas.envelope import DeliveryStatus
from schemas.reviews import RESPONSE_KINDS
from services.projections.domain.model import NO_RESPONSE
from services.projections.entrypoints import contract
from services.projections.entrypoints.csv_columns import COLUMNS
from services.projections.entrypoints.deps import CsvOrJson, JsonOnly, View
from services.projections.entrypoints.models import Board, RecommendationAnswer
from services.projections.entrypoints.responses import answer, cached
from services.projections.service_layer.queries import Snapshot

router = APIRouter(prefix="/v1/recommendations", tags=["recommendations"])


def _one_of(values: list[str]) -> str:
    return "^(" + "|".join(values) + ")$"


_KINDS = sorted({*RESPONSE_KINDS.values(), NO_RESPONSE})
_STATUSES = [status.value for status in DeliveryStatus]
ResponseFilter = Annotated[
    str | None, Query(pattern=_one_of(_KINDS), description="One of: " + ", ".join(_KINDS))
]
"""The response kinds the domain knows (``refs.RESPONSE_KINDS``, and none yet)."""
DeliveryFilter = Annotated[
    str | None, Query(pattern=_one_of(_STATUSES), description="One of: " + ", ".join(_STATUSES))
]
DEFAULT_PAGE, MAX_PAGE = 100, 1000


@router.get("", responses=contract.read(Board, "board"))
async def list_recommendations(
    view: View,
    review: Annotated[str | None, Query(description="Only this review's.")] = None,
    response: ResponseFilter = None,
    delivery: DeliveryFilter = None,
    organisation: Annotated[
        str | None, Query(description="Only those naming this body (any role).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    offset: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
    format_: CsvOrJson = None,
) -> Response:
    """The board: top-level recommendations (sub-points nested) with response and delivery,
    filtered, one page."""
    filters = {
        "review_id": review,
        "response_kind": response,
        "delivery_status": delivery,
        "organisation": organisation,
    }

    async def render(snap: Snapshot) -> Response:
        items = await snap.board_page(filters, limit, offset)
        more, items = len(items) > limit, items[:limit]
        page = {"limit": limit, "offset": offset, "next_offset": offset + limit if more else None}
        rows = [
            {
                **{
                    k: v
                    for k, v in item.items()
                    if k not in ("leads", "supporters", "roles", "sub_points")
                },
                "leads": ";".join(r["id"] for r in item["leads"]),
                "supporters": ";".join(r["id"] for r in item["supporters"]),
                "roles": ";".join(f"{r['id']}:{r['role']}" for r in item["roles"]),
                "sub_points": len(item["sub_points"]),
            }
            for item in items
        ]
        return answer(view.request, snap, {**page, "items": items}, rows, COLUMNS["board"])

    return await cached(view, render)


@router.get(
    "/{recommendation_id}",
    responses=contract.read(
        RecommendationAnswer, s404="No recommendation with this id (at the bound asked for)."
    ),
)
async def get_recommendation(
    view: View,
    recommendation_id: Annotated[
        str, Path(description="A recommendation's id, e.g. `smith-review:rec-9`.")
    ],
    format_: JsonOnly = None,
) -> Response:
    """One recommendation: text, sub-points, cross-references, response, delivery, timeline."""

    async def render(snap: Snapshot) -> Response:
        shown = await snap.recommendation(
            recommendation_id, await snap.history("rec_ids", recommendation_id)
        )
        return answer(view.request, snap, shown)

    return await cached(view, render)
