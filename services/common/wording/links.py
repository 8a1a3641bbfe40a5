"""The pages an alert links to: the page that shows what the event is about, the recipient's
own page, and the recommendation's (absolute addresses under the pages' public base URL)."""

from __future__ import annotations

from typing import TypedDict
from urllib.parse import quote

from services.common.wording.changes import Event

PAGE_OF_STREAM = {
    "responsibility": "/responsibilities/",
    "organisation": "/organisations/",
    "recommendation": "/recommendations/",
    "review": "/reviews/",
}
"""Stream kinds that have a page of their own (an action is shown on its owner's page)."""


class Links(TypedDict, total=False):
    page: str
    organisation: str
    recommendation: str


def path(e: Event, recipient: str) -> str:
    """The path of the page that shows what an event is about: its stream's entity (a body,
    a responsibility, a recommendation, a review), or for an action the recipient's page."""
    stream_kind, _, entity = str(e.get("stream_id") or "").partition("-")
    if stream_kind in PAGE_OF_STREAM and entity:
        return _page(stream_kind, entity)
    return _page("organisation", recipient)


def _page(kind: str, entity_id: str) -> str:
    return PAGE_OF_STREAM[kind] + quote(str(entity_id), safe="")


def links(e: Event, recipient: str, base_url: str) -> Links:
    base = base_url.rstrip("/")
    found = Links(page=base + path(e, recipient))
    found["organisation"] = base + _page("organisation", recipient)
    if e.get("recommendation_id"):
        found["recommendation"] = base + _page("recommendation", e["recommendation_id"])
    return found
