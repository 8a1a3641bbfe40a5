"""One contract, two units of work: the in-memory fake the handler tests use and the
PostgreSQL one the registry runs. Every test runs against both."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from services.registry.adapters.db import Tables
from services.registry.adapters.unit_of_work import SqlAlchemyUnitOfWork
from services.registry.errors import ConcurrencyConflict
from services.registry.service_layer.ports import (
    Reads,
    ScopedKey,
    StoredResponse,
    UnitOfWork,
    caller_scope,
)
from tests.integration.registry.factory import renamed
from tests.unit.registry.fakes import FakeUnitOfWork

pytestmark = pytest.mark.integration
NewUnitOfWork = Callable[[], UnitOfWork]
ANSWER = StoredResponse("sha256:abc", 201, {"events": [{"stream_version": 1}]})
ANSWER_B = StoredResponse("sha256:def", 201, {"events": [{"stream_version": 1}]})
KEY_1 = ScopedKey(caller_scope("alice"), "key-1")
KEY_2 = ScopedKey(caller_scope("alice"), "key-2")


@pytest.fixture(params=["fake", "postgres"])
def new_uow(request: pytest.FixtureRequest) -> Iterator[NewUnitOfWork]:
    if request.param == "fake":
        shared = FakeUnitOfWork()  # one instance is one database
        yield lambda: shared
        return
    engine: AsyncEngine = request.getfixturevalue("engine")
    tables: Tables = request.getfixturevalue("tables")
    yield lambda: SqlAlchemyUnitOfWork(engine, tables)


async def test_committed_events_load_in_stream_order(new_uow: NewUnitOfWork) -> None:
    events = [renamed("organisation-nhsi", v) for v in (1, 2, 3)]
    async with new_uow() as uow:
        await uow.events.append(events)
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.events.load("organisation-nhsi") == events
        assert await uow.events.load("organisation-other") == []


async def test_leaving_without_commit_keeps_nothing(new_uow: NewUnitOfWork) -> None:
    async with new_uow() as uow:
        await uow.events.append([renamed("organisation-a", 1)])
        await uow.idempotency.put(KEY_1, ANSWER)
    async with new_uow() as uow:
        assert await uow.events.load("organisation-a") == []
        assert await uow.idempotency.get(KEY_1) is None


async def test_a_taken_stream_version_is_a_conflict(new_uow: NewUnitOfWork) -> None:
    async with new_uow() as uow:
        await uow.events.append([renamed("organisation-a", 1)])
        await uow.commit()
    with pytest.raises(ConcurrencyConflict):
        async with new_uow() as uow:
            await uow.events.append([renamed("organisation-a", 1)])
            await uow.commit()
    async with new_uow() as uow:
        assert [e.stream_version for e in await uow.events.load("organisation-a")] == [1]


async def test_the_kept_answer_commits_with_the_events_and_is_read_first(
    new_uow: NewUnitOfWork,
) -> None:
    async with new_uow() as uow:
        await uow.events.append([renamed("organisation-a", 1)])
        await uow.idempotency.put(KEY_1, ANSWER)
        await uow.commit()
    async with new_uow() as uow:  # prepare: a command's first round trip, once per unit
        assert await uow.prepare(Reads(streams=("organisation-a",)), [KEY_1]) == {KEY_1: ANSWER}
    async with new_uow() as uow:
        assert await uow.prepare(Reads(), [KEY_2]) == {}
    for other in (caller_scope("bob"), caller_scope("alice", "org-a")):  # another caller's key
        async with new_uow() as uow:
            assert await uow.prepare(Reads(), [ScopedKey(other, KEY_1.key)]) == {}
            assert await uow.idempotency.get(ScopedKey(other, KEY_1.key)) is None
    with pytest.raises(ConcurrencyConflict):
        async with new_uow() as uow:
            await uow.events.append([renamed("organisation-b", 1)])
            await uow.idempotency.put(KEY_1, ANSWER)
            await uow.commit()
    async with new_uow() as uow:
        assert await uow.events.load("organisation-b") == []


async def test_two_callers_keep_two_answers_under_one_key(new_uow: NewUnitOfWork) -> None:
    bobs_key = ScopedKey(caller_scope("bob"), KEY_1.key)
    for key, answer, stream in ((KEY_1, ANSWER, "organisation-a"), (bobs_key, ANSWER_B, "b")):
        async with new_uow() as uow:
            await uow.events.append([renamed(stream, 1)])
            await uow.idempotency.put(key, answer)
            await uow.commit()
    async with new_uow() as uow:
        assert await uow.prepare(Reads(), [KEY_1, bobs_key]) == {KEY_1: ANSWER, bobs_key: ANSWER_B}
