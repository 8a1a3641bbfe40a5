"""The PostgreSQL unit of work: one pooled connection per command (or batch), two statements.

``prepare`` reads what the commands declared (the answers kept for their callers'
Idempotency-Keys, their locks, their streams: ``command_reads``); ``commit`` writes the events
and the kept answers in one statement (``append_command``; both in
migrations/sql/0006_group_commit.sql). Commands that take no exclusive lock run without an open
transaction: their shared locks are taken, and the versions they relied on checked, inside that
last statement. One that locks exclusively (dissolve, merge: they decide on more than streams)
holds a transaction, and its locks, from the reads to the commit.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.expression import TextualSelect

from schemas.envelope import DomainEvent
from schemas.upcasting import decode
from services.registry.adapters.db import Tables, per_schema
from services.registry.adapters.event_store import PostgresEventStore
from services.registry.adapters.idempotency import PostgresIdempotencyStore, stored_response
from services.registry.adapters.writes import PendingWrites
from services.registry.service_layer.ports import Reads, ScopedKey, StoredResponse


@per_schema
def _reads_sql(tables: Tables) -> TextualSelect:
    return text(
        f"SELECT read_stream, read_payload FROM {tables.schema}.command_reads("
        ":callers, :keys, :shared_keys, :exclusive_keys, :stream_ids)"
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
        self._pending = PendingWrites()
        self._reads = _reads_sql(tables)

    async def __aenter__(self) -> SqlAlchemyUnitOfWork:
        # No BEGIN yet: the first statement opens the transaction (SQLAlchemy's autobegin)
        # unless ``prepare`` chose to run without one.
        self._connection = await self._engine.connect()
        self._pending = PendingWrites()
        self.events = PostgresEventStore(self._connection, self._tables, self._pending)
        self.idempotency = PostgresIdempotencyStore(self._connection, self._tables, self._pending)
        return self

    async def __aexit__(self, *exc: object) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            if connection.in_transaction():
                await connection.rollback()
        finally:
            await connection.close()

    def _open(self) -> AsyncConnection:
        if self._connection is None:
            raise RuntimeError("use the unit of work inside 'async with'")
        return self._connection

    async def prepare(
        self, reads: Reads, idempotency_keys: Sequence[ScopedKey] = ()
    ) -> dict[ScopedKey, StoredResponse]:
        connection = self._open()
        held: dict[str, bool] = {}
        if reads.exclusive:
            held = dict.fromkeys(map(self.events.lock_key, reads.shared), False)
            held |= dict.fromkeys(map(self.events.lock_key, reads.exclusive), True)
        else:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            self.events.defer_locks()
            await self.events.lock(shared=reads.shared)
        result = await connection.execute(
            self._reads,
            {
                "callers": [k.caller for k in idempotency_keys],
                "keys": [k.key for k in idempotency_keys],
                "shared_keys": [k for k, exclusive in held.items() if not exclusive],
                "exclusive_keys": [k for k, exclusive in held.items() if exclusive],
                "stream_ids": list(reads.streams),
            },
        )
        kept: dict[ScopedKey, StoredResponse] = {}
        streams: dict[str, list[DomainEvent]] = {s: [] for s in reads.streams}
        for stream_id, payload in result:
            if stream_id is None:
                kept[ScopedKey(payload["caller"], payload["key"])] = stored_response(payload)
            else:
                streams[stream_id].append(decode(payload))
        self.events.prefetched(streams, held)
        return kept

    async def commit(self) -> None:
        connection = self._open()
        await self._pending.flush(connection, self._tables, self.events.guard())
        await connection.commit()
