"""The commit-ordered sequencer: gives committed events their global positions, 1..N, no gaps.

One batch is one transaction holding ``pg_advisory_xact_lock`` (writers never take it), run by
the SQL function ``sequence_batch`` (migrations/sql/0002_sequencer.sql) so it costs one round
trip: the committed rows still without a position get
``last_position + row_number() OVER (ORDER BY id)``, and ``last_position`` moves in the same
transaction. Insertion order (``id``) keeps each stream in
version order and every cause before its effect: a writer only appends after it has read the
committed events it depends on, so theirs have lower ids and are visible whenever its own are.

Batches commit one after another, so the positions any reader can see are always exactly
1..last_position: reading ``position > after`` never skips an event that committed late.
See docs/ordering.md.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.registry.adapters.db import Tables
from services.registry.errors import SequencingTimeout


@dataclass(frozen=True)
class Batch:
    assigned: int
    last_position: int


async def sequence_batch(
    connection: AsyncConnection, tables: Tables, limit: int, *, wait: bool = True
) -> Batch | None:
    """One batch (the SQL function ``sequence_batch``) in the connection's current
    transaction; the caller commits it. With ``wait=False`` returns ``None`` at once
    when another batch holds the lock."""
    row = (
        await connection.execute(
            text(f"SELECT * FROM {tables.schema}.sequence_batch(:limit, :key, :wait)"),
            {"limit": limit, "key": tables.sequencer_lock, "wait": wait},
        )
    ).first()
    return None if row is None else Batch(assigned=int(row[0]), last_position=int(row[1]))


async def sequence_pending(connection: AsyncConnection, tables: Tables, limit: int) -> int:
    """Run (waiting for the lock) batches, one transaction each, until one comes out short;
    return how many events got positions."""
    total = 0
    while True:
        async with connection.begin():
            batch = await sequence_batch(connection, tables, limit)
        assert batch is not None
        total += batch.assigned
        if batch.assigned < limit:
            return total


class PostgresPositionSource:
    """``PositionSource``: read positions; when some are missing, run one batch if no one else
    is (group sequencing: concurrent callers mostly find theirs done by another's batch)."""

    def __init__(
        self,
        engine: AsyncEngine,
        tables: Tables,
        *,
        timeout_s: float = 5.0,
        retry_s: float = 0.003,
        batch_size: int = 5_000,
    ) -> None:
        self._engine, self._tables = engine, tables
        self._timeout_s, self._retry_s, self._batch_size = timeout_s, retry_s, batch_size
        self._read_sql = text(
            f"SELECT event_id, pos FROM {tables.schema}.positions_of(:ids, :limit, :key)"
        )

    async def positions_of(self, event_ids: Sequence[UUID]) -> dict[UUID, int]:
        wanted = list(dict.fromkeys(event_ids))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timeout_s
        async with self._engine.connect() as connection:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            while True:
                found = await self._sequence_and_read(connection, wanted)
                if len(found) == len(wanted):
                    return found
                if loop.time() >= deadline:
                    raise self._timeout(wanted, found)
                await asyncio.sleep(self._retry_s)

    async def _sequence_and_read(
        self, connection: AsyncConnection, ids: list[UUID]
    ) -> dict[UUID, int]:
        """One statement, its own transaction: sequence if needed and no one else is, then
        read (the function ``positions_of``, migrations/sql/0002_sequencer.sql)."""
        params = {"ids": ids, "limit": self._batch_size, "key": self._tables.sequencer_lock}
        result = await connection.execute(self._read_sql, params)
        return {UUID(str(event_id)): int(position) for event_id, position in result}

    def _timeout(self, wanted: list[UUID], found: dict[UUID, int]) -> SequencingTimeout:
        missing = [str(event_id) for event_id in wanted if event_id not in found]
        return SequencingTimeout(
            f"{len(missing)} committed event(s) got no global position within"
            f" {self._timeout_s:g}s (is the sequencer blocked?): {', '.join(missing)}"
        )
