"""Pages of reviews: the reviews Remit holds, a review's board, its bodies; the board's
downloads (the JSON API's own answer for exactly the rows shown)."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.common.wording import labels
from services.projections.entrypoints.pages.common import end_of, page
from services.projections.entrypoints.pages.pictures import draw, family
from services.projections.entrypoints.pages.query import View
from services.projections.service_layer import pages as reads
from services.projections.service_layer.pages import PageReads
from services.projections.service_layer.queries import Snapshot

router = APIRouter()
PAGE_SIZE = 50
FILTERS = ("organisation", "response", "delivery")


@router.get("/")
async def home(request: Request) -> Response:
    """The reviews Remit holds, each with its board counts."""

    async def build(snap: Snapshot, more: PageReads, view: View) -> tuple[str, dict[str, Any]]:
        return "home.html", {"reviews": await reads.reviews(snap)}

    return await page(request, build)


def _filters(request: Request) -> dict[str, str | None]:
    query = request.query_params
    response = query.get("response")
    delivery = query.get("delivery")
    return {
        "organisation": query.get("organisation") or None,
        "response": response if response in labels.RESPONSES else None,
        "delivery": delivery if delivery in labels.DELIVERY else None,
    }


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) < 10**9 else 1


@router.get("/reviews/{review_id}")
async def board(request: Request, review_id: str) -> Response:
    """The board: response x delivery, and the recommendations, filtered, one page."""
    chosen = _filters(request)
    number = _page_number(request)
    offset = (number - 1) * PAGE_SIZE

    async def build(snap: Snapshot, more: PageReads, view: View) -> tuple[str, dict[str, Any]]:
        summary = await snap.summary(review_id)
        filters = {
            "review_id": review_id,
            "response_kind": chosen["response"],
            "delivery_status": chosen["delivery"],
            "organisation": chosen["organisation"],
        }
        rows = await snap.board_page(filters, PAGE_SIZE, offset)
        shown = {**{k: v for k, v in chosen.items() if v}, "limit": PAGE_SIZE, "offset": offset}
        return "board.html", {
            "summary": summary,
            "rows": rows[:PAGE_SIZE],
            "more": len(rows) > PAGE_SIZE,
            "number": number,
            "chosen": chosen,
            "bodies": await reads.review_leads(snap, review_id),
            "download": {k: str(v) for k, v in shown.items()} | view.params(),
        }

    return await page(request, build)


@router.get("/reviews/{review_id}/organisations")
async def review_bodies(request: Request, review_id: str) -> Response:
    """Every body a review names, and their family over time."""

    async def build(snap: Snapshot, more: PageReads, view: View) -> tuple[str, dict[str, Any]]:
        summary = await snap.summary(review_id)
        bodies, events = await reads.review_bodies(snap, more, review_id)
        title = f"The bodies named by {summary['review']['title']} over time"
        picture = family.picture(title, bodies, events, end_of(snap, view))
        return "review_bodies.html", {
            "summary": summary,
            "bodies": bodies,
            "picture": draw.shown(picture, "family"),
        }

    return await page(request, build)


DOWNLOAD_PARAMS = (
    "response",
    "delivery",
    "organisation",
    "limit",
    "offset",
    "as_of",
    "at_position",
)


async def _download(request: Request, review_id: str, csv: bool) -> Response:
    """The JSON API's answer for these rows, asked in-process (same code, same kept bytes)."""
    params: list[tuple[str, str | int | float | bool | None]] = [("review", review_id)]
    params += [(k, v) for k, v in request.query_params.multi_items() if k in DOWNLOAD_PARAMS]
    accept = "text/csv" if csv else "application/json"
    api = request.app.api
    transport = httpx.ASGITransport(app=api)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        answer = await client.get("/v1/recommendations", params=params, headers={"Accept": accept})
    name = "".join(c if c.isalnum() or c in "-_" else "-" for c in review_id)
    suffix = "csv" if csv else "json"
    headers = {"Content-Disposition": f'attachment; filename="{name}-recommendations.{suffix}"'}
    if "remit-position" in answer.headers:
        headers["Remit-Position"] = answer.headers["remit-position"]
    return Response(
        answer.content,
        status_code=answer.status_code,
        media_type=answer.headers.get("content-type"),
        headers=headers,
    )


@router.get("/reviews/{review_id}/recommendations.csv")
async def board_csv(request: Request, review_id: str) -> Response:
    """The rows shown on the board, as CSV."""
    return await _download(request, review_id, csv=True)


@router.get("/reviews/{review_id}/recommendations.json")
async def board_json(request: Request, review_id: str) -> Response:
    """The rows shown on the board, as JSON."""
    return await _download(request, review_id, csv=False)
