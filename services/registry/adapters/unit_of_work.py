"""The PostgreSQL unit of work: one pooled connection and one transaction per ``async with``."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction

from services.registry.adapters.db import Tables
from services.registry.adapters.event_store import PostgresEventStore
from services.registry.adapters.idempotency import PostgresIdempotencyStore


class SqlAlchemyUnitOfWork:
    """``UnitOfWork``: ``events`` and ``idempotency`` share the transaction; leaving the block
    without ``commit()`` rolls back. Create one per command (it is not reentrant)."""

    events: PostgresEventStore
    idempotency: PostgresIdempotencyStore

    def __init__(self, engine: AsyncEngine, tables: Tables) -> None:
        self._engine = engine
        self._tables = tables
        self._connection: AsyncConnection | None = None
        self._transaction: AsyncTransaction | None = None

    async def __aenter__(self) -> SqlAlchemyUnitOfWork:
        self._connection = await self._engine.connect()
        try:
            self._transaction = await self._connection.begin()
        except BaseException:
            await self._connection.close()
            raise
        self.events = PostgresEventStore(self._connection, self._tables)
        self.idempotency = PostgresIdempotencyStore(self._connection, self._tables)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection, transaction = self._connection, self._transaction
        self._connection = self._transaction = None
        try:
            if transaction is not None and transaction.is_active:
                await transaction.rollback()
        finally:
            if connection is not None:
                await connection.close()

    async def commit(self) -> None:
        if self._transaction is None:
            raise RuntimeError("commit() outside 'async with unit_of_work'")
        await self._transaction.commit()
