"""The published answer models describe what the routes really serve (no I/O).

The routes of the projections app answer from a fake store over a replay (the Smith review, a
generated history); every JSON answer, current and as of dates and positions, must validate
against the route's model with unknown fields refused, and every CSV answer must have exactly
the published columns. The models are never run on a request (see ``entrypoints/models.py``),
so this is what keeps the contract true.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any, get_args

import httpx
import pytest
from pydantic import BaseModel

from schemas.envelope import DeliveryStatus
from schemas.reviews import RESPONSE_KINDS
from schemas.wire import PositionedEvent
from services.projections.config import ProjectionsSettings
from services.projections.domain.fold import replay
from services.projections.domain.model import NO_RESPONSE, STAGES
from services.projections.domain.rules import CHANGES
from services.projections.domain.views import ROLE_ORDER
from services.projections.entrypoints import models
from services.projections.entrypoints.app import create_app
from services.projections.entrypoints.cache import AnswerCache
from services.projections.entrypoints.csv_columns import COLUMNS
from services.projections.service_layer.queries import Reader
from tests.integration.projections.history import generated
from tests.support.smith import smith_events
from tests.unit.projections.fakes import FakeReadStore

SMITH_BOUNDS = ("", "as_of=2015-06-01", "as_of=2016-03-01", "as_of=2030-01-01", "at_position=30")
HISTORY_BOUNDS = ("", "as_of=2014-06-01", "as_of=2015-01-02T16:00:00", "at_position=350")
"""Current, and as of moments and positions where some facts are certain and others not."""


async def client(
    events: Iterable[PositionedEvent], **settings: str
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(ProjectionsSettings(**settings))  # type: ignore[arg-type]
    app.state.reader = Reader(FakeReadStore(replay(events)), 0.1, 0.01)
    app.state.answers = AnswerCache()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://projections") as http:
        yield http


@pytest.fixture(scope="module")
async def smith() -> AsyncIterator[httpx.AsyncClient]:
    async for http in client(smith_events()):
        yield http


@pytest.fixture(scope="module")
async def history() -> AsyncIterator[httpx.AsyncClient]:
    async for http in client(generated(700)):
        yield http


async def valid(http: httpx.AsyncClient, path: str, model: type[BaseModel], bound: str) -> int:
    """Validate the JSON answer at ``path`` (404s are fine: not every id exists at a bound)."""
    answer = await http.get(path, params=dict(p.split("=") for p in [bound] if p))
    if answer.status_code == 404:
        return 0
    assert answer.status_code == 200, (path, bound, answer.text)
    model.model_validate(answer.json())
    return 1


async def every_answer(http: httpx.AsyncClient, bounds: tuple[str, ...], sample: int = 1) -> int:
    """Every kind of answer, current and at ``bounds``; as of a bound, every ``sample``-th id
    of each kind (folds as of a bound are what take time)."""
    listed = (await http.get("/v1/organisations")).json()["items"]
    board = (await http.get("/v1/recommendations", params={"limit": 1000})).json()["items"]
    recs = [r["id"] for r in board] + [s["id"] for r in board for s in r["sub_points"]]
    lineage_ids = set()
    for org in listed:
        view = (await http.get(f"/v1/organisations/{org['id']}")).json()
        lineage_ids |= {h["responsibility_id"] for h in view["transferred_in"]}
        lineage_ids |= {r["id"] for r in view["responsibilities"]}
    reviews = {r["review_id"] for r in board}
    checked = 0
    for bound in bounds:
        step = sample if bound else 1
        checked += await valid(http, "/v1/organisations", models.OrganisationList, bound)
        checked += await valid(http, "/v1/recommendations", models.Board, bound)
        for org in listed[::step]:
            path = f"/v1/organisations/{org['id']}"
            checked += await valid(http, path, models.OrganisationAnswer, bound)
        for rec in recs[::step]:
            path = f"/v1/recommendations/{rec}"
            checked += await valid(http, path, models.RecommendationAnswer, bound)
        for duty in sorted(lineage_ids)[::step]:
            path = f"/v1/responsibilities/{duty}"
            checked += await valid(http, path, models.ResponsibilityAnswer, bound)
        for review in sorted(reviews):
            path = f"/v1/reviews/{review}/summary"
            checked += await valid(http, path, models.SummaryAnswer, bound)
    return checked


async def test_every_smith_answer_has_its_published_shape(smith: httpx.AsyncClient) -> None:
    assert await every_answer(smith, SMITH_BOUNDS) > 150


async def test_every_answer_over_a_generated_history_has_its_published_shape(
    history: httpx.AsyncClient,
) -> None:
    assert await every_answer(history, HISTORY_BOUNDS, sample=4) > 500


@pytest.mark.parametrize(
    ("path", "columns"),
    [
        ("/v1/organisations", "organisations"),
        ("/v1/organisations/nhs-improvement", "organisation_history"),
        ("/v1/recommendations?review=smith-review", "board"),
        ("/v1/responsibilities/talent-management", "handovers"),
    ],
)
@pytest.mark.parametrize("ask", ["accept", "format"])
async def test_csv_answers_have_the_published_columns(
    smith: httpx.AsyncClient, path: str, columns: str, ask: str
) -> None:
    sep = "&" if "?" in path else "?"
    if ask == "accept":
        answer = await smith.get(path, headers={"Accept": "text/csv"})
    else:
        answer = await smith.get(f"{path}{sep}format=csv")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0] == list(COLUMNS[columns])
    assert len(rows) > 1 and all(len(row) == len(rows[0]) for row in rows)


async def test_format_json_wins_over_accept_and_other_formats_are_refused(
    smith: httpx.AsyncClient,
) -> None:
    json_answer = await smith.get("/v1/organisations?format=json", headers={"Accept": "text/csv"})
    assert json_answer.headers["content-type"].startswith("application/json")
    refused = await smith.get("/v1/organisations?format=xml")
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    no_csv = await smith.get("/v1/reviews/smith-review/summary?format=csv")
    assert no_csv.status_code == 422, no_csv.text


def test_the_published_enumerations_are_the_domains() -> None:
    assert set(get_args(models.Stage)) == set(STAGES)
    assert set(get_args(models.ChangeKind)) == set(CHANGES.values())
    assert set(get_args(models.ResponseKind)) == {*RESPONSE_KINDS.values(), NO_RESPONSE}
    assert set(get_args(models.DeliveryStatus)) == {s.value for s in DeliveryStatus}
    assert list(models.RecommendationsByRole.model_fields) == list(ROLE_ORDER)


def actors(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for key, inner in value.items():
            if key in ("actor", "correlation_id", "causation_id"):
                yield inner
            else:
                yield from actors(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from actors(inner)


async def test_actor_fields_are_withheld_when_events_are_not_public(
    smith: httpx.AsyncClient,
) -> None:
    path = "/v1/organisations/nhs-improvement"
    shown = (await smith.get(path)).json()
    assert "smith-import" in set(actors(shown))
    async for closed in client(smith_events(), events_access="token"):
        withheld = (await closed.get(path)).json()
        assert set(actors(withheld)) == {None}
        models.OrganisationAnswer.model_validate(withheld)
        timeline = (await closed.get("/v1/recommendations/smith-review:rec-9")).json()
        assert set(actors(timeline)) == {None}
