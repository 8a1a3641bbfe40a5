"""A read model written straight into PostgreSQL, without Kafka (not a test module).

``live=True`` applies event by event with the consumer's own :func:`apply_one` (documents
loaded and saved per event); otherwise documents stay in memory, as in the rebuild, and are
saved once at the end. Either way the read side cannot tell the difference from a consumed
topic.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from schemas.wire import PositionedEvent
from services.common.dead_letters import DeadLetter, DeadLetterSink, DeadLetterStore
from services.projections.adapters import store
from services.projections.adapters.read_model import PostgresBatch, PostgresReadModelStore
from services.projections.adapters.snapshots import PostgresReadStore
from services.projections.domain.fold import replay
from services.projections.domain.model import World
from services.projections.service_layer.ports import Bound, Checkpoint
from services.projections.service_layer.projector import apply_one, fold_into_store
from services.projections.service_layer.queries import Reader, Snapshot
from tests.unit.projections.fakes import FakeReadStore


class NoPublisher:
    async def publish(self, letter: DeadLetter) -> None:
        raise AssertionError("nothing to dead-letter here")


def batch_on(conn: AsyncConnection, schema: str) -> PostgresBatch:
    """The consumer's batch, on a transaction the test owns."""
    nowhere = DeadLetterSink(DeadLetterStore(conn.engine, schema, "test"), NoPublisher())
    return PostgresBatch(conn, schema, nowhere)


def read_model(engine: AsyncEngine, control: str) -> PostgresReadModelStore:
    """The consumer's read model (nothing to dead-letter)."""
    nowhere = DeadLetterSink(DeadLetterStore(engine, control, "test"), NoPublisher())
    return PostgresReadModelStore(engine, control, nowhere)


@dataclass
class InMemory:
    """The same reads over the in-memory fake (``FakeReadStore``): what the contract compares."""

    events: list[PositionedEvent]

    @asynccontextmanager
    async def snapshot(self, bound: Bound | None = None) -> AsyncIterator[Snapshot]:
        store = FakeReadStore(replay(self.events))
        reader = Reader(store, max_wait_s=0, poll_s=0.01)
        async with reader.snapshot(bound or Bound(), None) as snap:
            yield snap


@dataclass
class Loaded:
    engine: AsyncEngine
    control: str
    schema: str

    @asynccontextmanager
    async def snapshot(self, bound: Bound | None = None) -> AsyncIterator[Snapshot]:
        reader = Reader(PostgresReadStore(self.engine, self.control), max_wait_s=0, poll_s=0.01)
        async with reader.snapshot(bound or Bound(), None) as snap:
            yield snap


async def _write(
    engine: AsyncEngine, schema: str, events: list[PositionedEvent], live: bool
) -> None:
    chunk = 2_000
    world = World()
    for start in range(0, len(events), chunk):
        part = events[start : start + chunk]
        async with engine.begin() as conn:
            for positioned in part:
                if live:
                    await apply_one(batch_on(conn, schema), positioned)
                else:
                    await fold_into_store(batch_on(conn, schema), world, positioned, None)
    async with engine.begin() as conn:
        if not live:
            await store.save(conn, schema, world)
        cp = Checkpoint("loaded", 0, len(events) - 1, events[-1].position)
        await store.put_checkpoint(conn, schema, cp)
        await conn.execute(text(f"ANALYZE {schema}.events"))


@asynccontextmanager
async def loaded(
    database_url: str, events: list[PositionedEvent], live: bool = False, pool_size: int = 5
) -> AsyncIterator[Loaded]:
    engine = create_async_engine(database_url, pool_size=pool_size)
    control = f"proj_{uuid.uuid4().hex[:8]}"
    try:
        schema = await store.ensure(engine, control)
        await _write(engine, schema, events, live)
        yield Loaded(engine, control, schema)
    finally:
        async with engine.begin() as conn:
            await conn.execute(text(f"DROP SCHEMA IF EXISTS {control}_v1 CASCADE"))
            await conn.execute(text(f"DROP SCHEMA IF EXISTS {control} CASCADE"))
        await engine.dispose()
