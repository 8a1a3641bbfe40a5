"""The PostgreSQL unit of work: one pooled connection and one transaction per ``async with``.

A command costs few round trips: ``prepare`` (idempotency look-up, locks and streams: the
function ``command_reads``, migration 0003), then at ``commit`` one statement with the events
and the idempotent answer, then COMMIT.
"""

from __future__ import annotations

import functools
from types import TracebackType

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction
from sqlalchemy.sql.expression import TextualSelect

from schemas.envelope import DomainEvent
from schemas.upcasting import decode
from services.registry.adapters.db import Tables
from services.registry.adapters.event_store import PostgresEventStore
from services.registry.adapters.idempotency import PostgresIdempotencyStore
from services.registry.adapters.writes import PendingWrites
from services.registry.service_layer.ports import Reads, StoredResponse


@functools.cache
def _reads_sql(tables: Tables) -> TextualSelect:
    """Built once per schema (a statement object keeps its SQLAlchemy cache key)."""
    return text(
        f"SELECT read_stream, read_payload FROM {tables.schema}.command_reads("
        ":key, :lock_keys, :lock_exclusive, :streams)"
    ).columns(read_payload=JSONB)


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
        self._pending = PendingWrites()
        self._reads = _reads_sql(tables)

    async def __aenter__(self) -> SqlAlchemyUnitOfWork:
        self._connection = await self._engine.connect()
        try:
            self._transaction = await self._connection.begin()
        except BaseException:
            await self._connection.close()
            raise
        self._pending = PendingWrites()
        self.events = PostgresEventStore(self._connection, self._tables, self._pending)
        self.idempotency = PostgresIdempotencyStore(self._connection, self._tables, self._pending)
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

    async def prepare(self, reads: Reads, idempotency_key: str | None) -> StoredResponse | None:
        if self._connection is None:
            raise RuntimeError("prepare() outside 'async with unit_of_work'")
        held = dict.fromkeys(map(self.events.lock_key, reads.shared), False)
        held |= dict.fromkeys(map(self.events.lock_key, reads.exclusive), True)
        keys = sorted(held)
        result = await self._connection.execute(
            self._reads,
            {
                "key": idempotency_key,
                "lock_keys": keys,
                "lock_exclusive": [held[k] for k in keys],
                "streams": list(reads.streams),
            },
        )
        stored: StoredResponse | None = None
        streams: dict[str, list[DomainEvent]] = {s: [] for s in reads.streams}
        for stream_id, payload in result:
            if stream_id is None:
                stored = StoredResponse(
                    payload["request_hash"], int(payload["status_code"]), dict(payload["body"])
                )
            else:
                streams[stream_id].append(decode(payload))
        self.events.prefetched(streams, held)
        return stored

    async def commit(self) -> None:
        if self._transaction is None or self._connection is None:
            raise RuntimeError("commit() outside 'async with unit_of_work'")
        await self._pending.flush(self._connection, self._tables)
        await self._transaction.commit()
