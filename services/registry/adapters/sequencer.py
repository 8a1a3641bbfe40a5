"""The commit-ordered sequencer: gives committed events their global positions, 1..N, no gaps.

One batch is one transaction holding ``pg_advisory_xact_lock`` (writers never take it): the
committed rows still without a position get ``last_position + row_number() OVER (ORDER BY id)``,
and ``last_position`` moves in the same transaction. Insertion order (``id``) keeps each stream in
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

from services.registry.adapters.db import SEQUENCED_CHANNEL, Tables
from services.registry.errors import SequencingTimeout


@dataclass(frozen=True)
class Batch:
    assigned: int
    last_position: int


def _batch_sql(tables: Tables) -> str:
    return f"""
    WITH ready AS (
        SELECT id, row_number() OVER (ORDER BY id) AS n
        FROM {tables.events}
        WHERE position IS NULL
        ORDER BY id
        LIMIT :limit
    ), given AS (
        UPDATE {tables.events} e SET position = s.last_position + r.n
        FROM ready r, {tables.sequencer_state} s
        WHERE e.id = r.id
        RETURNING e.position
    )
    UPDATE {tables.sequencer_state}
    SET last_position = last_position + (SELECT count(*) FROM given)
    RETURNING (SELECT count(*) FROM given), last_position
    """


async def sequence_batch(
    connection: AsyncConnection, tables: Tables, limit: int, *, wait: bool = True
) -> Batch | None:
    """One batch in the connection's current transaction; the caller commits it.

    With ``wait=False`` returns ``None`` at once when another batch holds the lock.
    """
    lock = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
    got = (await connection.execute(text(f"SELECT {lock}({tables.sequencer_lock})"))).scalar()
    if not wait and not got:
        return None
    # A position, once seen, must survive a crash: never let this commit be asynchronous.
    await connection.execute(text("SET LOCAL synchronous_commit = on"))
    row = (await connection.execute(text(_batch_sql(tables)), {"limit": limit})).one()
    batch = Batch(assigned=int(row[0]), last_position=int(row[1]))
    if batch.assigned:
        await connection.execute(
            text("SELECT pg_notify(:channel, :last)"),
            {"channel": SEQUENCED_CHANNEL, "last": str(batch.last_position)},
        )
    return batch


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
        self._engine = engine
        self._tables = tables
        self._timeout_s = timeout_s
        self._retry_s = retry_s
        self._batch_size = batch_size
        self._read_sql = text(
            f"SELECT event_id, position FROM {tables.events}"
            " WHERE event_id = ANY(:ids) AND position IS NOT NULL"
        )

    async def positions_of(self, event_ids: Sequence[UUID]) -> dict[UUID, int]:
        wanted = list(dict.fromkeys(event_ids))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timeout_s
        async with self._engine.connect() as connection:
            while True:
                found = await self._read(connection, wanted)
                if len(found) == len(wanted):
                    return found
                if loop.time() >= deadline:
                    raise self._timeout(wanted, found)
                async with connection.begin():
                    batch = await sequence_batch(
                        connection, self._tables, self._batch_size, wait=False
                    )
                if batch is None or batch.assigned == 0:
                    await asyncio.sleep(self._retry_s)

    async def _read(self, connection: AsyncConnection, ids: list[UUID]) -> dict[UUID, int]:
        async with connection.begin():
            result = await connection.execute(self._read_sql, {"ids": ids})
            return {UUID(str(event_id)): int(position) for event_id, position in result}

    def _timeout(self, wanted: list[UUID], found: dict[UUID, int]) -> SequencingTimeout:
        missing = [str(event_id) for event_id in wanted if event_id not in found]
        return SequencingTimeout(
            f"{len(missing)} committed event(s) got no global position within"
            f" {self._timeout_s:g}s (an older transaction is still open?): {', '.join(missing)}"
        )
