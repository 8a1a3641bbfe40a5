"""One contract, two read models: the in-memory fake the unit tests use and the PostgreSQL
adapter the service runs. Every test runs against both."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from services.common.dead_letters import (
    DeadLetter,
    DeadLetterSink,
    DeadLetterStore,
    SourceRecord,
)
from services.projections.adapters import store
from services.projections.adapters.read_model import PostgresReadModelStore
from services.projections.domain.fold import fold, replay
from services.projections.domain.refs import refs
from services.projections.service_layer.ports import Checkpoint, ReadModelStore
from tests.support.smith import smith_events
from tests.unit.projections.fakes import FakeReadModel

pytestmark = pytest.mark.integration
EVENTS = list(smith_events())
PLACED = replay(EVENTS[:2]).placed


class Published:
    def __init__(self) -> None:
        self.letters: list[DeadLetter] = []

    async def publish(self, letter: DeadLetter) -> None:
        self.letters.append(letter)


@pytest.fixture(params=["fake", "postgres"])
async def model(
    request: pytest.FixtureRequest, database_url: str
) -> AsyncIterator[tuple[ReadModelStore, list[DeadLetter]]]:
    if request.param == "fake":
        fake = FakeReadModel()
        yield fake, fake.published
        return
    engine = create_async_engine(database_url)
    control = f"proj_{uuid.uuid4().hex[:8]}"
    await store.ensure(engine, control)
    published = Published()
    dead_letters = DeadLetterStore(engine, control, "contract")
    sink = DeadLetterSink(dead_letters, published)
    yield PostgresReadModelStore(engine, control, sink), published.letters
    async with engine.begin() as conn:
        await conn.execute(text(f"DROP SCHEMA {control}_v1 CASCADE"))
        await conn.execute(text(f"DROP SCHEMA {control} CASCADE"))
    await engine.dispose()


Model = tuple[ReadModelStore, list[DeadLetter]]


async def test_a_new_partition_starts_before_its_first_offset(model: Model) -> None:
    async with model[0].batch() as batch:
        assert await batch.checkpoint("t", 0) == Checkpoint("t", 0, -1, 0)


async def test_what_a_batch_writes_the_next_one_reads(model: Model) -> None:
    world = fold(EVENTS)
    wanted = refs(EVENTS[-1].event)
    async with model[0].batch() as batch:
        await batch.save_checkpoint(Checkpoint("t", 0, 58, 59))
        await batch.save(world)
    async with model[0].batch() as batch:
        assert await batch.checkpoint("t", 0) == Checkpoint("t", 0, 58, 59)
        loaded = await batch.load(wanted)
    for kind, ids in wanted.items():
        assert getattr(loaded, kind) == {i: getattr(world, kind)[i] for i in ids}


async def test_an_error_in_a_batch_writes_nothing(model: Model) -> None:
    with pytest.raises(RuntimeError):
        async with model[0].batch() as batch:
            await batch.save_checkpoint(Checkpoint("t", 0, 3, 4))
            raise RuntimeError("the batch fails")
    async with model[0].batch() as batch:
        assert await batch.checkpoint("t", 0) == Checkpoint("t", 0, -1, 0)


async def test_an_isolated_failure_undoes_only_its_own_writes(model: Model) -> None:
    first = fold(EVENTS[:1])
    one, two = [(p, PLACED[p.position]) for p in EVENTS[:2]]
    async with model[0].batch() as batch:
        await batch.save(first)
        await batch.store_events([one])
        with pytest.raises(RuntimeError):
            async with batch.isolated():
                await batch.store_events([two])
                raise RuntimeError("this event fails")
        with pytest.raises(Exception):  # noqa: B017 - each store raises its own kind
            async with batch.isolated():
                await batch.store_events([one])  # stored already
    async with model[0].batch() as batch:
        assert (await batch.load(refs(EVENTS[0].event))) == first
        await batch.store_events([two])  # it was undone, so it is not stored yet


async def test_a_dead_letter_is_kept_and_published_once(model: Model) -> None:
    read_model, published = model
    letter = DeadLetter("apply_error", "contract", SourceRecord("t", 0, 9, b"k", b"v"), "bad", 10)
    gap = DeadLetter("position_gap", "contract", SourceRecord("t", 0, 9), "a gap", 10)
    async with read_model.batch() as batch:
        assert await batch.keep_dead_letters([letter, gap]) == (letter, gap)
    async with read_model.batch() as batch:
        assert await batch.keep_dead_letters([letter]) == ()
    assert published == [letter]  # a gap is kept, not sent to the DLQ topic
