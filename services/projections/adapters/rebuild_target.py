"""The rebuild's PostgreSQL side: :class:`~..service_layer.ports.RebuildTarget`.

The next data schema is ``<control>_v<n+1>``; events and documents go in by ``COPY``
(:mod:`.bulk`: nobody else writes that schema yet), later changes by upsert. The switch holds
the pointer row ``FOR UPDATE``: live batches (``FOR SHARE``) wait, then find the new schema.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas.wire import PositionedEvent
from services.common.dead_letters import DeadLetterSink
from services.projections.adapters import bulk, store
from services.projections.adapters.read_model import SchemaWrites
from services.projections.adapters.schema import data_ddl, execute_all
from services.projections.domain.fold import Placement
from services.projections.domain.model import KINDS, World


class BulkWrites(SchemaWrites):
    """Writes into a schema nobody else writes yet: events and documents by ``COPY``."""

    async def store_events(self, placed: Sequence[tuple[PositionedEvent, Placement]]) -> None:
        rows = [store.event_row(positioned, placement) for positioned, placement in placed]
        async with self._driver() as db:
            await bulk.copy_events(db, self.schema, rows)

    async def insert_documents(self, world: World) -> None:
        async with self._driver() as db:
            for kind in KINDS:
                await bulk.copy_documents(db, self.schema, kind, getattr(world, kind).values())


class PostgresRebuildTarget:
    def __init__(self, engine: AsyncEngine, control: str, dead_letters: DeadLetterSink) -> None:
        self.engine, self.control, self.dead_letters = engine, control, dead_letters
        self.schema, self.version, self.previous = "", 0, ""

    async def create(self) -> str:
        async with self.engine.begin() as conn:
            active = f"SELECT version FROM {self.control}.active"
            self.version = int((await conn.execute(text(active))).scalar_one()) + 1
            self.schema = f"{self.control}_v{self.version}"
            await conn.execute(text(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE"))
            await execute_all(conn, data_ddl(self.schema))
        return self.schema

    @asynccontextmanager
    async def load(self) -> AsyncIterator[BulkWrites]:
        async with self.engine.begin() as conn:
            yield BulkWrites(conn, self.schema, self.dead_letters)

    @asynccontextmanager
    async def switching(self) -> AsyncIterator[BulkWrites]:
        async with self.engine.begin() as conn:
            self.previous = await store.active_schema(conn, self.control, lock="UPDATE")
            yield BulkWrites(conn, self.schema, self.dead_letters)
            await conn.execute(
                text(
                    f"UPDATE {self.control}.active SET data_schema = :schema, version = :version, "
                    "switched_at = now()"
                ),
                {"schema": self.schema, "version": self.version},
            )

    async def drop_older(self) -> None:
        async with self.engine.begin() as conn:
            rows = await conn.execute(
                text("SELECT nspname FROM pg_namespace WHERE nspname LIKE :versions"),
                {"versions": f"{self.control}\\_v%"},
            )
            for (name,) in rows.all():
                suffix = name.removeprefix(f"{self.control}_v")
                if suffix.isdigit() and int(suffix) < self.version and name != self.previous:
                    await conn.execute(text(f"DROP SCHEMA {name} CASCADE"))
