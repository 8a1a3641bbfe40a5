"""Where ``REMIT_EVENTS_ACCESS=token`` withholds who recorded a change from the API's answers,
the pages withhold it too (a correction trail names its actor only where events are public)."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Literal

import httpx

from services.projections.config import ProjectionsSettings
from services.projections.domain.fold import replay
from services.projections.domain.views import HistoryEntry
from services.projections.entrypoints.app import create_app
from services.projections.entrypoints.cache import AnswerCache
from services.projections.entrypoints.pages.app import create_pages_app
from services.projections.service_layer.ports import Bound
from services.projections.service_layer.queries import Reader
from tests.support.smith import smith_events
from tests.unit.projections.fakes import FakeReadStore

CORRECTED = "/recommendations/smith-review:rec-7"
"""A page with a correction trail (the Smith import corrected rec 7's roles)."""


class NoPageReads:
    """The pages' own reads, empty: this page's trail comes from its view."""

    async def last_recorded(self, position: int) -> datetime | None:
        return None

    async def organisation_events(self, org_ids: set[str], bound: Bound) -> list[HistoryEntry]:
        return []

    async def review_organisations(self, review_id: str, bound: Bound) -> set[str]:
        return set()


async def page(path: str, events_access: Literal["public", "token"]) -> str:
    api = create_app(ProjectionsSettings(events_access=events_access))
    api.state.reader = Reader(FakeReadStore(replay(smith_events())), 0.1, 0.01)
    api.state.answers = AnswerCache()
    api.state.projections = SimpleNamespace(page_reads=lambda _: NoPageReads())
    transport = httpx.ASGITransport(app=create_pages_app(api))
    async with httpx.AsyncClient(transport=transport, base_url="http://pages") as http:
        answer = await http.get(path)
    assert answer.status_code == 200, answer.text
    return answer.text


async def test_a_correction_names_its_actor_only_where_events_are_public() -> None:
    assert "smith-import" in await page(CORRECTED, "public")
    assert "smith-import" not in await page(CORRECTED, "token")
