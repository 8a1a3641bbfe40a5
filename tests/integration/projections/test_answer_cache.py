"""Kept answers over HTTP: the same bytes a fresh render gives, a new answer once the position
moves (or the model turns degraded), 304 on a match;
and the head read that keys them follows the pointer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from schemas.wire import PositionedEvent
from services.common.dead_letters import DeadLetter, DeadLetterStore, SourceRecord
from services.projections.adapters import store
from services.projections.adapters.head import HeadSource
from services.projections.adapters.schema import data_ddl, execute_all
from services.projections.entrypoints.app import create_app
from services.projections.entrypoints.cache import AnswerCache
from services.projections.service_layer.ports import Checkpoint, Head
from services.projections.service_layer.projector import apply_one
from tests.integration.projections.history import generated
from tests.integration.projections.loaded import Loaded, NoPublisher, batch_on, loaded
from tests.integration.projections.support import settings_for

pytestmark = pytest.mark.integration
FIRST, TOTAL = 400, 600


@asynccontextmanager
async def _app(
    database_url: str, bootstrap: str, model: Loaded
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    settings = settings_for(
        database_url,
        bootstrap,
        "unused",
        "unused.dlq",
        db_schema=model.control,
        run_consumer=False,
        min_position_max_wait_s=0.2,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://projections") as client:
            yield app, client


async def _apply(model: Loaded, events: list[PositionedEvent]) -> None:
    async with model.engine.begin() as conn:
        for positioned in events:
            await apply_one(batch_on(conn, model.schema), positioned)
        cp = Checkpoint("loaded", 0, events[-1].position - 1, events[-1].position)
        await store.put_checkpoint(conn, model.schema, cp)


async def _paths(client: httpx.AsyncClient) -> list[tuple[str, dict[str, str]]]:
    orgs = (await client.get("/v1/organisations")).json()["items"]
    board = (await client.get("/v1/recommendations", params={"limit": 5})).json()["items"]
    review, rec = board[0]["review_id"], board[0]["id"]
    csv = {"Accept": "text/csv"}
    paths: list[tuple[str, dict[str, str]]] = [
        (f"/v1/organisations/{o['id']}", {}) for o in orgs[:4]
    ]
    return [
        *paths,
        (f"/v1/organisations/{orgs[0]['id']}", csv),
        (f"/v1/organisations/{orgs[1]['id']}?as_of=2015-01-10", {}),
        (f"/v1/organisations/{orgs[2]['id']}?at_position=200", {}),
        ("/v1/organisations?kind=department", {}),
        (f"/v1/recommendations?review={review}&limit=3", {}),
        (f"/v1/recommendations?review={review}", csv),
        (f"/v1/recommendations/{rec}", {}),
        (f"/v1/reviews/{review}/summary", {}),
    ]


async def _all(
    client: httpx.AsyncClient, paths: list[tuple[str, dict[str, str]]]
) -> list[httpx.Response]:
    answers = [await client.get(path, headers=headers) for path, headers in paths]
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    return answers


async def test_kept_answers_are_fresh_answers(database_url: str, kafka_bootstrap: str) -> None:
    history = generated(TOTAL)
    async with (
        loaded(database_url, history[:FIRST]) as model,
        _app(database_url, kafka_bootstrap, model) as (app, client),
    ):
        paths = await _paths(client)
        first = await _all(client, paths)
        hits = app.state.answers.hits
        again = await _all(client, paths)
        assert app.state.answers.hits == hits + len(paths)
        assert [a.content for a in again] == [a.content for a in first]
        app.state.answers = AnswerCache()
        assert [a.content for a in await _all(client, paths)] == [a.content for a in first]

        await _apply(model, history[FIRST:])
        at_position = paths[6]
        assert "at_position" in at_position[0]
        misses = app.state.answers.misses
        await client.get(at_position[0], headers=at_position[1])
        assert app.state.answers.misses == misses + 1  # rendered again: corrections apply back

        moved = await _all(client, paths)
        for path, after in zip(paths, moved, strict=True):
            bounded = "at_position" in path[0]
            assert after.headers["Remit-Position"] == ("200" if bounded else str(TOTAL))
        app.state.answers = AnswerCache()
        assert [a.content for a in await _all(client, paths)] == [a.content for a in moved]


async def test_304_waits_and_degraded(database_url: str, kafka_bootstrap: str) -> None:
    history = generated(FIRST)
    async with (
        loaded(database_url, history) as model,
        _app(database_url, kafka_bootstrap, model) as (app, client),
    ):
        path = "/v1/organisations"
        first = await client.get(path)
        etag = first.headers["ETag"]
        same = await client.get(path, headers={"If-None-Match": etag})
        assert same.status_code == 304 and same.content == b""
        assert same.headers["Remit-Position"] == str(FIRST)
        csv = await client.get(path, headers={"Accept": "text/csv"})
        assert csv.headers["ETag"] != etag

        late = await client.get(path, params={"min_position": FIRST + 1})
        assert late.status_code == 503 and late.headers["Retry-After"] == "1"
        waited = await client.get(path, params={"min_position": FIRST})
        assert waited.content == first.content
        for invalid in ("-1", "x", str(2**63)):  # kept or not, the route validates
            refused = await client.get(path, params={"min_position": invalid})
            assert refused.status_code == 422, invalid

        assert first.json()["degraded"] is False
        async with model.engine.begin() as conn:
            source = SourceRecord("unused", 0, 10_000)
            letter = DeadLetter("position_gap", "test", source, "for the test")
            store_ = DeadLetterStore(model.engine, model.control, "test")
            await store_.keep(conn, [letter], NoPublisher())
        degraded = await client.get(path, headers={"If-None-Match": etag})
        assert degraded.status_code == 200 and degraded.json()["degraded"] is True


@pytest.mark.parametrize("keep", [True, False])
async def test_the_head_follows_the_pointer_even_to_a_schema_made_after_the_last_seen_was_dropped(
    database_url: str, keep: bool
) -> None:
    events = generated(50)
    async with loaded(database_url, events) as model:
        source = HeadSource(model.engine, model.control, keep=keep)
        try:
            assert await source.read() == Head(model.schema, events[-1].position, False)
            newer = f"{model.control}_v9"
            async with model.engine.begin() as conn:
                await execute_all(conn, data_ddl(newer))
                cp = Checkpoint("loaded", 0, 9_000, 9_001)
                await store.put_checkpoint(conn, newer, cp)
                await conn.execute(
                    text(f"UPDATE {model.control}.active SET data_schema = :s"), {"s": newer}
                )
                await conn.execute(text(f"DROP SCHEMA {model.schema} CASCADE"))
            assert await source.read() == Head(newer, 9_001, False)
        finally:
            await source.close()
            async with model.engine.begin() as conn:
                await conn.execute(text(f"DROP SCHEMA IF EXISTS {model.control}_v9 CASCADE"))


async def test_a_kept_head_connection_the_server_closed_is_opened_again(
    database_url: str,
) -> None:
    events = generated(20)
    async with loaded(database_url, events) as model:
        source = HeadSource(model.engine, model.control, keep=True)
        try:
            first = await source.read()
            async with model.engine.begin() as conn:  # what a PostgreSQL restart does to it
                await conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE pid <> pg_backend_pid() AND datname = current_database() "
                        "AND query LIKE '%checkpoint%' AND application_name = ''"
                    )
                )
            assert await source.read() == first
        finally:
            await source.close()
