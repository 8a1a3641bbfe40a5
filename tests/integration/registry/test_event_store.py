"""Append/load, optimistic concurrency, append-only events, idempotency, unit of work."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from services.registry.adapters.db import Tables
from services.registry.adapters.event_store import EventFeed
from services.registry.adapters.sequencer import PostgresPositionSource
from services.registry.adapters.unit_of_work import SqlAlchemyUnitOfWork
from services.registry.errors import ConcurrencyConflict, StaleRead
from services.registry.service_layer.ports import Reads, ScopedKey, StoredResponse, caller_scope
from tests.integration.registry.factory import renamed

pytestmark = pytest.mark.integration
KEY_1 = ScopedKey(caller_scope("tester"), "key-1")


async def test_append_then_load_round_trip(engine: AsyncEngine, tables: Tables) -> None:
    events = [renamed("organisation-nhsi", v) for v in (1, 2, 3)]
    async with SqlAlchemyUnitOfWork(engine, tables) as uow:
        await uow.events.append(events)
        await uow.commit()
    async with SqlAlchemyUnitOfWork(engine, tables) as uow:
        assert await uow.events.load("organisation-nhsi") == events
        assert await uow.events.load("organisation-other") == []


async def test_duplicate_stream_version_is_a_concurrency_conflict(
    engine: AsyncEngine, tables: Tables
) -> None:
    async with SqlAlchemyUnitOfWork(engine, tables) as uow:
        await uow.events.append([renamed("organisation-a", 1)])
        await uow.commit()
    with pytest.raises(ConcurrencyConflict, match=r"organisation-a, 1\) already exists"):
        async with SqlAlchemyUnitOfWork(engine, tables) as uow:
            await uow.events.append([renamed("organisation-a", 1)])  # staged: fails at commit
            await uow.commit()
    async with SqlAlchemyUnitOfWork(engine, tables) as uow:
        assert [e.stream_version for e in await uow.events.load("organisation-a")] == [1]


async def test_leaving_without_commit_rolls_back(engine: AsyncEngine, tables: Tables) -> None:
    async with SqlAlchemyUnitOfWork(engine, tables) as uow:
        await uow.events.append([renamed("organisation-a", 1)])
        await uow.idempotency.put(KEY_1, StoredResponse("h", 201, {"ok": True}))
    async with SqlAlchemyUnitOfWork(engine, tables) as uow:
        assert await uow.events.load("organisation-a") == []
        assert await uow.idempotency.get(KEY_1) is None


async def test_idempotency_key_commits_with_the_events(engine: AsyncEngine, tables: Tables) -> None:
    stored = StoredResponse("sha256:abc", 201, {"stream_version": 1, "ids": ["x"]})
    async with SqlAlchemyUnitOfWork(engine, tables) as uow:
        await uow.events.append([renamed("organisation-a", 1)])
        await uow.idempotency.put(KEY_1, stored)
        await uow.commit()
    async with SqlAlchemyUnitOfWork(engine, tables) as uow:
        assert await uow.idempotency.get(KEY_1) == stored
        with pytest.raises(ConcurrencyConflict, match=KEY_1.key):
            await uow.idempotency.put(KEY_1, stored)  # staged: fails at commit
            await uow.commit()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE {events} SET payload = '{{}}'::jsonb",
        "UPDATE {events} SET stream_version = stream_version + 10",
        "DELETE FROM {events}",
        "TRUNCATE {events}",
        "UPDATE {events} SET position = position + 1",  # already sequenced: refused
    ],
)
async def test_events_are_append_only(engine: AsyncEngine, tables: Tables, statement: str) -> None:
    async with SqlAlchemyUnitOfWork(engine, tables) as uow:
        await uow.events.append([renamed("organisation-a", 1)])
        await uow.commit()
    feed = EventFeed(engine, tables)
    [(_, _, event)] = await feed.read_stream("organisation-a")
    await PostgresPositionSource(engine, tables).positions_of([event.event_id])
    with pytest.raises(DBAPIError, match="append-only"):
        async with engine.begin() as connection:
            await connection.execute(text(statement.format(events=tables.events)))
    assert [v for _, v, _ in await feed.read_stream("organisation-a")] == [1]


async def test_feed_shows_unsequenced_events_without_a_position(
    engine: AsyncEngine, tables: Tables
) -> None:
    event = renamed("organisation-a", 1)
    async with SqlAlchemyUnitOfWork(engine, tables) as uow:
        await uow.events.append([event])
        await uow.commit()
    feed = EventFeed(engine, tables)
    assert await feed.read_stream("organisation-a") == [(None, 1, event)]
    assert await feed.read_all(after=0, limit=10) == []
    assert await feed.head_position() == 0
    positions = await PostgresPositionSource(engine, tables).positions_of([event.event_id])
    assert positions == {event.event_id: 1}
    assert await feed.read_stream("organisation-a") == [(1, 1, event)]
    assert await feed.read_all(after=0, limit=10) == [(1, event)]
    assert await feed.head_position() == 1


async def test_a_body_that_moved_on_before_the_append_makes_the_decision_stale(
    engine: AsyncEngine, tables: Tables
) -> None:
    """A command relying on a body (shared lock, no transaction) appends only if the body's
    stream is still at the version its decision saw."""
    async with SqlAlchemyUnitOfWork(engine, tables) as setup:
        await setup.events.append([renamed("organisation-a", 1)])
        await setup.commit()
    reads = Reads(streams=("organisation-a",), shared=("organisation-a",))
    async with SqlAlchemyUnitOfWork(engine, tables) as deciding:
        assert await deciding.prepare(reads) == {}
        assert len(await deciding.events.load("organisation-a")) == 1
        async with SqlAlchemyUnitOfWork(engine, tables) as meanwhile:
            await meanwhile.events.append([renamed("organisation-a", 2)])
            await meanwhile.commit()
        await deciding.events.append([renamed("organisation-b", 1)])
        with pytest.raises(StaleRead, match="organisation-a"):
            await deciding.commit()
    async with SqlAlchemyUnitOfWork(engine, tables) as uow:
        assert await uow.events.load("organisation-b") == []
