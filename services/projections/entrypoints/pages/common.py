"""What every page does: honour "view as of", read one snapshot, keep the rendered page, and
say which position it shows and how fresh that is."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from services.projections.entrypoints.pages.query import View, canonical, link
from services.projections.entrypoints.pages.render import html
from services.projections.entrypoints.responses import ViewRequest, cached, shown
from services.projections.service_layer import pages as reads
from services.projections.service_layer.pages import PageReads
from services.projections.service_layer.queries import Reader, Snapshot

Build = Callable[[Snapshot, PageReads, View], Awaitable[tuple[str, dict[str, Any]]]]
"""Reads what a page shows from a snapshot (its views, and the pages' own reads in the same
snapshot): the template and its context."""


async def page(request: Request, build: Build) -> Response:
    """The page ``build`` describes, at the bound the address asks for (kept per head, as
    the API's answers are). A submitted form's empty fields are dropped by a redirect, so the
    address shown is the shareable one."""
    query = canonical(request.query_params)
    if query is not None:
        return RedirectResponse(request.url.path + (f"?{query}" if query else ""), 303)
    view = View.of(request.query_params)
    reader: Reader = request.app.state.reader
    more_of: reads.PageReadsOf = request.app.state.projections.page_reads

    async def render(snap: Snapshot) -> Response:
        more = more_of(snap.reads)
        template, found = await build(snap, more, view)
        context = shown(request, found)
        frame = await _frame(request, snap, more, view)
        frame["some_uncertain"] = view.as_of != "" and not view.errors and uncertain(context)
        return html(request, template, 400 if view.errors else 200, **context, **frame)

    return await cached(ViewRequest(request, reader, view.bound, None), render)


async def _frame(request: Request, snap: Snapshot, more: PageReads, view: View) -> dict[str, Any]:
    """The context every page template gets: the bound, the position shown and the head."""
    hidden = {k: v for k, v in request.query_params.items() if k not in ("as_of", "at_position")}
    return {
        "view": view,
        "shown_position": snap.reflects,
        "head_position": snap.head.position,
        "degraded": snap.degraded,
        "fresh": await reads.freshness(snap, more),
        "path": request.url.path,
        "hidden": hidden,
        "link": lambda path, **params: link(path, view, **params),
        "now_link": request.url.path + (f"?{urlencode(hidden)}" if hidden else ""),
    }


def uncertain(found: Any) -> bool:
    """Whether anything a page shows is marked uncertain (as of a date: it may or may not have
    held then), at any depth of its views."""
    if isinstance(found, dict):
        if found.get("uncertain") is True:
            return True
        return any(uncertain(v) for v in found.values())
    if isinstance(found, list | tuple):
        return any(uncertain(v) for v in found)
    return False


def end_of(snap: Snapshot, view: View) -> str:
    """The heading of a picture's last column: now, or the bound it shows."""
    if view.is_current:
        return "now"
    return f"as of {view.as_of}" if view.as_of else f"at position {snap.reflects}"
