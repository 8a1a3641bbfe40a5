"""The PostgreSQL event store: append and load inside a unit of work, plus catch-up feed readers.

Writers insert with ``position`` NULL and never lock the table; the sequencer gives positions
after commit (see ``sequencer.py`` and docs/ordering.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from schemas.envelope import DomainEvent
from schemas.upcasting import decode
from services.registry.adapters.db import Tables, unique_violation
from services.registry.errors import ConcurrencyConflict


class PostgresEventStore:
    """``EventStore`` on one connection whose transaction the unit of work owns."""

    def __init__(self, connection: AsyncConnection, tables: Tables) -> None:
        self._connection = connection
        self._tables = tables
        self._insert = text(
            f"INSERT INTO {tables.events} (stream_id, stream_version, event_id, event_type,"
            " schema_version, payload, recorded_at) VALUES (:stream_id, :stream_version,"
            " :event_id, :event_type, :schema_version, :payload, :recorded_at)"
        ).bindparams(bindparam("payload", type_=JSONB))
        # Locks are taken in key order as the sorted subquery yields rows.
        self._lock = text(
            "SELECT count(*) FROM (SELECT k, x FROM unnest(CAST(:keys AS text[]),"
            " CAST(:exclusive AS boolean[])) AS u(k, x) ORDER BY k) s, LATERAL (SELECT CASE"
            " WHEN s.x THEN pg_advisory_xact_lock(hashtextextended(s.k, 0))"
            " ELSE pg_advisory_xact_lock_shared(hashtextextended(s.k, 0)) END) l"
        )
        self._holdings = text(
            "SELECT substr(stream_id, length('responsibility-') + 1) FROM ("
            " SELECT DISTINCT ON (stream_id) stream_id,"
            " coalesce(payload->>'to_id', payload->>'holder_id') AS holder"
            f" FROM {tables.events} WHERE stream_id LIKE 'responsibility-%'"
            " AND event_type IN ('ResponsibilityAssigned', 'ResponsibilityTransferred')"
            " ORDER BY stream_id, stream_version DESC) latest WHERE holder = :org ORDER BY 1"
        )
        self._load = text(
            f"SELECT payload FROM {tables.events} WHERE stream_id = :stream_id"
            " ORDER BY stream_version"
        ).columns(payload=JSONB)

    async def lock(self, shared: Iterable[str] = (), exclusive: Iterable[str] = ()) -> None:
        wanted = dict.fromkeys(shared, False) | dict.fromkeys(exclusive, True)
        if not wanted:
            return
        keys = sorted(wanted)
        await self._connection.execute(
            self._lock,
            {
                "keys": [f"{self._tables.schema}:{k}" for k in keys],
                "exclusive": [wanted[k] for k in keys],
            },
        )

    async def holdings(self, organisation_id: str) -> list[str]:
        result = await self._connection.execute(self._holdings, {"org": organisation_id})
        return list(result.scalars())

    async def load(self, stream_id: str) -> list[DomainEvent]:
        result = await self._connection.execute(self._load, {"stream_id": stream_id})
        return [decode(payload) for payload in result.scalars()]

    async def append(self, events: Sequence[DomainEvent]) -> None:
        if not events:
            return
        rows = [_row(event) for event in events]
        try:
            await self._connection.execute(self._insert, rows)  # a trigger notifies the relay
        except IntegrityError as exc:
            raise _conflict(exc, events) from exc


def _row(event: DomainEvent) -> dict[str, Any]:
    return {
        "stream_id": event.stream_id,
        "stream_version": event.stream_version,
        "event_id": event.event_id,
        "event_type": event.type,
        "schema_version": event.schema_version,
        "payload": event.model_dump(mode="json"),
        "recorded_at": event.recorded_at,
    }


def _conflict(exc: IntegrityError, events: Sequence[DomainEvent]) -> Exception:
    constraint, detail = unique_violation(exc)
    if constraint != "events_pkey":
        return exc
    attempted = ", ".join(f"{e.stream_id}@{e.stream_version}" for e in events)
    return ConcurrencyConflict(
        f"stream version already taken ({detail or 'duplicate (stream_id, stream_version)'}); "
        f"attempted {attempted}: reload the stream and retry"
    )


class EventFeed:
    """Catch-up readers over committed, sequenced events (each call is its own transaction).

    ``read_all`` only ever returns positions of a gap-free prefix 1..head, so a reader that asks
    ``after=<last position seen>`` never skips an event that commits late.
    """

    def __init__(self, engine: AsyncEngine, tables: Tables) -> None:
        self._engine = engine
        self._tables = tables

    async def head_position(self) -> int:
        """The highest position given so far (0 when none)."""
        sql = text(f"SELECT last_position FROM {self._tables.sequencer_state}")
        async with self._engine.connect() as connection:
            return int((await connection.execute(sql)).scalar_one())

    async def read_all(self, after: int, limit: int) -> list[tuple[int, DomainEvent]]:
        """Up to ``limit`` events with position > ``after``, in position order."""
        async with self._engine.connect() as connection:
            return await read_after(connection, self._tables, after, limit)

    async def read_stream(self, stream_id: str) -> list[tuple[int | None, int, DomainEvent]]:
        """(position or None if not yet sequenced, stream version, event) of one stream."""
        sql = text(
            f"SELECT position, stream_version, payload FROM {self._tables.events}"
            " WHERE stream_id = :stream_id ORDER BY stream_version"
        ).columns(payload=JSONB)
        async with self._engine.connect() as connection:
            result = await connection.execute(sql, {"stream_id": stream_id})
            return [(pos, int(version), decode(payload)) for pos, version, payload in result]


async def read_after(
    connection: AsyncConnection, tables: Tables, after: int, limit: int
) -> list[tuple[int, DomainEvent]]:
    """Up to ``limit`` sequenced events with position > ``after``, in position order."""
    sql = text(
        f"SELECT position, payload FROM {tables.events}"
        " WHERE position > :after ORDER BY position LIMIT :limit"
    ).columns(payload=JSONB)
    result = await connection.execute(sql, {"after": after, "limit": limit})
    return [(int(position), decode(payload)) for position, payload in result]
