"""The read side in PostgreSQL: :class:`~..service_layer.ports.ReadStore`.

A snapshot is one REPEATABLE READ READ ONLY transaction: the head (pointer, checkpoint, open
dead letters) and every document read in it agree. Heads outside a snapshot come from
:class:`~.head.HeadSource`, on a connection kept for it when ``keep_head_connection``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.projections.adapters import driver, head, lookups, store
from services.projections.domain.model import World
from services.projections.domain.needs import Lookup
from services.projections.domain.validity import Valid
from services.projections.domain.views import Counts, HistoryEntry
from services.projections.service_layer.ports import Bound, Facts, Head


class PostgresSnapshot:
    """Reads in one transaction: ``conn``, and ``db``, the asyncpg connection under it
    (:mod:`.driver`), for the statements every current answer sends."""

    def __init__(self, conn: AsyncConnection, head: Head, db: Any) -> None:
        self.conn, self.head, self.db = conn, head, db

    @property
    def schema(self) -> str:
        return self.head.schema

    async def documents(self, wanted: Sequence[Lookup], world: World) -> None:
        await lookups.fetch(self.conn, self.schema, list(wanted), world)

    async def every_document(self) -> World:
        return await store.load(self.db, self.schema)

    async def validity(self, positions: set[int]) -> dict[int, Valid]:
        return await store.validity(self.db, self.schema, positions)

    async def facts(self, bound: Bound) -> Facts:
        return await store.facts_until(self.conn, self.schema, bound)

    async def streams(self, wanted: Sequence[Lookup], bound: Bound) -> set[str]:
        return await lookups.streams(self.conn, self.schema, list(wanted), bound)

    async def stream_facts(self, stream_ids: set[str], bound: Bound) -> Facts:
        return await lookups.stream_facts(self.conn, self.schema, stream_ids, bound)

    async def board_page(self, filters: dict[str, str | None], limit: int, offset: int) -> World:
        return await lookups.board_page(self.conn, self.schema, filters, limit, offset)

    async def board_counts(self, review_id: str) -> Counts:
        return await lookups.board_counts(self.conn, self.schema, review_id)

    async def history(self, column: str, entity_id: str, bound: Bound) -> list[HistoryEntry]:
        return await store.history(self.conn, self.schema, column, entity_id, bound)


class PostgresReadStore:
    def __init__(self, engine: AsyncEngine, control: str, keep_head_connection: bool = False):
        self.engine, self.control = engine, control
        self._heads = head.HeadSource(engine, control, keep=keep_head_connection)

    async def head(self) -> Head:
        return await self._heads.read()

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[PostgresSnapshot]:
        async with self.engine.connect() as conn:
            conn = await conn.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
            async with conn.begin():
                now = await head.read(conn, self.control)  # begins the transaction
                yield PostgresSnapshot(conn, now, await driver.under(conn))

    async def close(self) -> None:
        """Close the kept head connection, if any (it is not the pool's to close)."""
        await self._heads.close()
