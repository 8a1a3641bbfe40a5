"""Targeted reads answer exactly as the old way did.

Each view over only what its plan needs (indexed lookups for current answers; a fold of only
the streams it needs for answers as of a bound) must equal the same view over everything
(every document; the fold of every stored event up to the bound): for every organisation,
recommendation, responsibility and review, board pages with filters and the organisation list,
current and at several bounds, on the Smith review and on a generated history with transfers,
renames, merges, dissolutions, re-decisions, placeholders and out-of-order ``occurred_at``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from schemas.wire import PositionedEvent
from services.projections.adapters import store
from services.projections.domain import views
from services.projections.domain.fold import fold
from services.projections.errors import NotFound, OutdatedReadModel
from services.projections.service_layer.ports import Bound
from services.projections.service_layer.projector import Projector
from services.projections.service_layer.queries import Snapshot
from tests.integration.projections.history import generated
from tests.integration.projections.loaded import InMemory, Loaded, loaded, read_model
from tests.support.smith import smith_events

pytestmark = pytest.mark.integration
NOT_FOUND = "not found"
PAGE = 7


async def _targeted(answer: Awaitable[Any]) -> Any:
    try:
        return await answer
    except NotFound:
        return NOT_FOUND


def _old(view: Callable[..., Any], *args: Any) -> Any:
    try:
        return view(*args)
    except NotFound:
        return NOT_FOUND


async def _pages(snap: Snapshot, filters: dict[str, str | None]) -> list[views.Json]:
    rows: list[views.Json] = []
    while True:
        page = await snap.board_page(filters, PAGE, len(rows))
        rows += page[:PAGE]
        if len(page) <= PAGE:
            return rows


def _filters(
    review: str | None = None,
    response: str | None = None,
    delivery: str | None = None,
    organisation: str | None = None,
) -> dict[str, str | None]:
    return {
        "review_id": review,
        "response_kind": response,
        "delivery_status": delivery,
        "organisation": organisation,
    }


async def _assert_same(model: Loaded | InMemory, bound: Bound, everything_ever: Any) -> int:
    """Compare every view both ways at ``bound``; return how many answers were compared."""
    compared = 0
    async with model.snapshot(bound) as snap:
        world = await snap.world()

        async def same(targeted: Awaitable[Any], view: Callable[..., Any], *args: Any) -> None:
            nonlocal compared
            got, want = await _targeted(targeted), _old(view, world, *args)
            assert got == want, (bound, view.__name__, args)
            compared += 1

        for org in [*everything_ever.organisations, "nobody"]:
            await same(snap.organisation(org, []), views.organisation_view, org, [])
        for rec in [*everything_ever.recommendations, "nobody:rec-1"]:
            await same(snap.recommendation(rec, []), views.recommendation_view, rec, [])
        for resp in [*everything_ever.responsibilities, "nothing"]:
            await same(snap.lineage(resp), views.lineage, resp)
        for review in [*everything_ever.reviews, "no-review"]:
            await same(snap.summary(review), views.review_summary, review)
        for kind, status in [(None, None), ("network", None), (None, "dissolved")]:
            await same(snap.organisations(kind, status), views.organisation_list, kind, status)
        reviews = sorted(everything_ever.reviews)
        orgs = sorted(everything_ever.organisations)
        for args in [
            (),
            (reviews[0],),
            (reviews[-1], "not_implement"),
            (None, None, "in_progress"),
            (None, None, None, orgs[len(orgs) // 2]),
            (reviews[0], "implement_in_full", None, orgs[3]),
        ]:
            await same(_pages(snap, _filters(*args)), views.board, *args)
    return compared


@pytest.fixture(scope="module", params=["postgres", "fake"])
async def smith(
    request: pytest.FixtureRequest, database_url: str
) -> AsyncIterator[Loaded | InMemory]:
    """The Smith read model in PostgreSQL, and in the fake the unit tests use: the targeted
    reads of both must answer as the whole world does (one contract, two stores)."""
    if request.param == "fake":
        yield InMemory(list(smith_events()))
        return
    async with loaded(database_url, list(smith_events()), live=True) as model:
        yield model


@pytest.fixture(scope="module")
def history() -> list[PositionedEvent]:
    return generated(2_500)


@pytest.fixture(scope="module")
async def generated_model(
    database_url: str, history: list[PositionedEvent]
) -> AsyncIterator[Loaded]:
    async with loaded(database_url, history) as model:
        yield model


SMITH_POSITIONS = [1, 14, 27, 35, 45, 51, 52, 53, 54, 56, 58, 59]


@pytest.mark.parametrize("position", [None, *SMITH_POSITIONS])
async def test_smith_targeted_equals_everything(
    smith: Loaded | InMemory, position: int | None
) -> None:
    everything_ever = fold(list(smith_events()))
    assert await _assert_same(smith, Bound(position=position), everything_ever) >= 50


async def test_smith_as_of_dates(smith: Loaded | InMemory) -> None:
    everything_ever = fold(list(smith_events()))
    day = smith_events()[-1].event.recorded_at
    for moment in (day - timedelta(days=1), day, day + timedelta(days=1)):
        await _assert_same(smith, Bound(as_of=moment), everything_ever)


@pytest.mark.parametrize("fraction", [None, 0.2, 0.5, 0.8])
async def test_generated_targeted_equals_everything(
    generated_model: Loaded, history: list[PositionedEvent], fraction: float | None
) -> None:
    everything_ever = fold(history)
    position = None if fraction is None else int(len(history) * fraction)
    assert await _assert_same(generated_model, Bound(position=position), everything_ever) > 400


@pytest.mark.parametrize("fraction", [0.3, 0.7])
async def test_generated_as_of_dates_with_holes(
    generated_model: Loaded, history: list[PositionedEvent], fraction: float
) -> None:
    """``occurred_at`` runs out of position order here, so by-date folds skip and meet holes."""
    everything_ever = fold(history)
    moment = history[int(len(history) * fraction)].event.recorded_at
    assert await _assert_same(generated_model, Bound(as_of=moment), everything_ever) > 400


async def test_a_read_model_of_an_older_shape_is_refused_until_rebuilt(database_url: str) -> None:
    """New lookup columns are a new shape: the consumer must not write into an old one."""
    async with loaded(database_url, list(smith_events())[:5]) as model:
        projector = Projector(read_model(model.engine, model.control), "test")
        assert (await projector("loaded", 0, [])).position == 5
        async with model.engine.begin() as conn:
            await conn.execute(text(f"DROP TABLE {model.schema}.shape"))
            assert await store.shape(conn, model.schema) == 1
        # A schema's shape is fixed when it is built (projectors remember it), so the old
        # shape is met by a projector starting on it, as after an upgrade.
        projector = Projector(read_model(model.engine, model.control), "test")
        with pytest.raises(OutdatedReadModel):
            await projector("loaded", 0, [])
