"""The live read model in PostgreSQL: :class:`~..service_layer.ports.ReadModelStore`.

A batch is one transaction on the active data schema, holding the pointer row ``FOR SHARE`` (a
rebuild's switch takes it ``FOR UPDATE``, so it waits for the batch and the batch after it
sees the new schema). A data schema of an older :data:`~.schema.SHAPE` is refused.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from schemas.wire import PositionedEvent
from services.common.dead_letters import DeadLetter, DeadLetterSink
from services.projections.adapters import store
from services.projections.adapters.schema import SHAPE
from services.projections.domain.fold import Placement
from services.projections.domain.model import World
from services.projections.domain.refs import Refs
from services.projections.errors import OutdatedReadModel
from services.projections.service_layer.ports import Checkpoint


class SchemaWrites:
    """:class:`~..ports.ReadModelWrites` on one connection and data schema."""

    def __init__(self, conn: AsyncConnection, schema: str, dead_letters: DeadLetterSink) -> None:
        self.conn, self.schema, self.dead_letters = conn, schema, dead_letters

    async def save_checkpoint(self, checkpoint: Checkpoint) -> None:
        await store.put_checkpoint(self.conn, self.schema, checkpoint)

    async def save(self, world: World, only: Refs | None = None) -> None:
        await store.save(self.conn, self.schema, world, only)

    async def store_events(self, placed: Sequence[tuple[PositionedEvent, Placement]]) -> None:
        rows = [store.event_row(positioned, placement) for positioned, placement in placed]
        await store.insert_events(self.conn, self.schema, rows)

    async def tighten(self, depends_on: tuple[int, ...], hi: datetime) -> None:
        await store.tighten(self.conn, self.schema, depends_on, hi)

    async def stream_facts(self, stream_id: str) -> list[PositionedEvent]:
        return await store.stream_facts(self.conn, self.schema, stream_id)

    async def record_correction(
        self,
        correction: PositionedEvent,
        before: list[PositionedEvent],
        after: list[tuple[PositionedEvent, Placement]],
    ) -> None:
        await store.record_correction(self.conn, self.schema, correction, before, after)

    async def keep_dead_letters(self, letters: Iterable[DeadLetter]) -> tuple[DeadLetter, ...]:
        return await self.dead_letters.keep(self.conn, letters)


class PostgresBatch(SchemaWrites):
    async def checkpoint(self, topic: str, partition: int) -> Checkpoint:
        return await store.get_checkpoint(self.conn, self.schema, topic, partition)

    async def load(self, wanted: Refs) -> World:
        return await store.load(self.conn, self.schema, wanted)

    @asynccontextmanager
    async def isolated(self) -> AsyncIterator[None]:
        async with self.conn.begin_nested():
            yield


class PostgresReadModelStore:
    def __init__(self, engine: AsyncEngine, control: str, dead_letters: DeadLetterSink) -> None:
        self.engine, self.control, self.dead_letters = engine, control, dead_letters
        self._shapes: dict[str, int] = {}  # a data schema's shape never changes once built

    @asynccontextmanager
    async def batch(self) -> AsyncIterator[PostgresBatch]:
        async with self.engine.begin() as conn:
            schema = await store.active_schema(conn, self.control, lock="SHARE")
            if (built := self._shapes.get(schema)) is None:
                built = self._shapes[schema] = await store.shape(conn, schema)
            if built != SHAPE:
                raise OutdatedReadModel(f"{schema} has shape {built}, not {SHAPE}: rebuild")
            yield PostgresBatch(conn, schema, self.dead_letters)
