"""Organisations: list and the full view of one body."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from services.projections.entrypoints import contract
from services.projections.entrypoints.csv_columns import COLUMNS
from services.projections.entrypoints.deps import CsvOrJson, View
from services.projections.entrypoints.models import OrganisationAnswer, OrganisationList
from services.projections.entrypoints.responses import answer, cached
from services.projections.service_layer.queries import Snapshot

router = APIRouter(prefix="/v1/organisations", tags=["organisations"])

OrganisationId = Annotated[str, Path(description="An organisation's id, e.g. `nhs-improvement`.")]


@router.get("", responses=contract.read(OrganisationList, "organisations"))
async def list_organisations(
    view: View,
    kind: Annotated[str | None, Query(description="Only bodies of this kind.")] = None,
    status: Annotated[
        str | None, Query(description="Only bodies in this status: active, merged, dissolved.")
    ] = None,
    format_: CsvOrJson = None,
) -> Response:
    """List organisations, optionally by kind and status."""

    async def render(snap: Snapshot) -> Response:
        items = await snap.organisations(kind, status)
        return answer(view.request, snap, {"items": items}, items, COLUMNS["organisations"])

    return await cached(view, render)


@router.get(
    "/{organisation_id}",
    responses=contract.read(
        OrganisationAnswer,
        "organisation_history",
        s404="No organisation with this id (at the bound asked for).",
    ),
)
async def get_organisation(
    view: View, organisation_id: OrganisationId, format_: CsvOrJson = None
) -> Response:
    """One organisation: what it holds in effect, what is announced, the recommendations that
    name it by role, its actions, parts, corrections and history (CSV: the history)."""

    async def render(snap: Snapshot) -> Response:
        history = await snap.history("org_ids", organisation_id)
        shown = await snap.organisation(organisation_id, history)
        rows = [
            {k: v for k, v in h.as_json().items() if k != "event"}
            | {"summary": _summary(h.payload)}
            for h in history
        ]
        return answer(view.request, snap, shown, rows, COLUMNS["organisation_history"])

    return await cached(view, render)


def _summary(payload: dict[str, object]) -> str:
    for key in ("new_name", "name", "description", "response_text", "disposition", "reason"):
        if isinstance(value := payload.get(key), str):
            return value[:200]
    return ""
