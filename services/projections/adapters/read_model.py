"""The live read model in PostgreSQL: :class:`~..service_layer.ports.ReadModelStore`.

A batch is one transaction on the active data schema, holding the pointer row ``FOR SHARE`` (a
rebuild's switch takes it ``FOR UPDATE``, so it waits for the batch and the batch after it
sees the new schema). A data schema of an older :data:`~.schema.SHAPE` is refused.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from schemas.wire import PositionedEvent
from services.common.dead_letters import DeadLetter, DeadLetterSink
from services.projections.adapters import driver, store
from services.projections.adapters.schema import SHAPE
from services.projections.domain.fold import Corrected, Placement
from services.projections.domain.model import World
from services.projections.domain.refs import Refs
from services.projections.errors import OutdatedReadModel
from services.projections.service_layer.ports import Checkpoint


class SchemaWrites:
    """:class:`~..ports.ReadModelWrites` on one connection and data schema. The statements of
    every batch go straight to the asyncpg connection under ``conn`` (``db``; :mod:`.driver`),
    inside the transaction SQLAlchemy began on it."""

    def __init__(
        self,
        conn: AsyncConnection,
        schema: str,
        dead_letters: DeadLetterSink,
        db: Any = None,
    ) -> None:
        self.conn, self.schema, self.dead_letters = conn, schema, dead_letters
        self._db = db

    @asynccontextmanager
    async def _driver(self) -> AsyncIterator[Any]:
        """The asyncpg connection; a lost connection is raised as SQLAlchemy would say it."""
        if self._db is None:
            self._db = await driver.raw(self.conn)
        try:
            yield self._db
        except Exception as exc:
            if (translated := driver.lost(exc, self._db)) is not exc:
                raise translated from exc
            raise

    async def save_checkpoint(self, checkpoint: Checkpoint) -> None:
        async with self._driver() as db:
            await store.put_checkpoint(db, self.schema, checkpoint)

    async def save(self, world: World, only: Refs | None = None) -> None:
        async with self._driver() as db:
            await store.save(db, self.schema, world, only)

    async def store_events(self, placed: Sequence[tuple[PositionedEvent, Placement]]) -> None:
        rows = [store.event_row(positioned, placement) for positioned, placement in placed]
        async with self._driver() as db:
            await store.insert_events(db, self.schema, rows)

    async def tighten(self, dated: store.Dated) -> None:
        async with self._driver() as db:
            await store.tighten(db, self.schema, dated)

    async def stream_facts(self, stream_id: str) -> list[PositionedEvent]:
        return await store.stream_facts(self.conn, self.schema, stream_id)

    async def record_correction(self, corrected: Corrected) -> None:
        async with self._driver() as db:
            await store.record_correction(self.conn, db, self.schema, corrected)

    async def keep_dead_letters(self, letters: Iterable[DeadLetter]) -> tuple[DeadLetter, ...]:
        return await self.dead_letters.keep(self.conn, letters)


class PostgresBatch(SchemaWrites):
    async def checkpoint(self, topic: str, partition: int) -> Checkpoint:
        async with self._driver() as db:
            return await store.get_checkpoint(db, self.schema, topic, partition)

    async def load(self, wanted: Refs) -> World:
        async with self._driver() as db:
            return await store.load(db, self.schema, wanted)

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
            # the pointer's statement began the transaction: the driver's run inside it
            yield PostgresBatch(conn, schema, self.dead_letters, await driver.under(conn))
