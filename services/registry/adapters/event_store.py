"""The PostgreSQL event store: append and load inside a unit of work, plus catch-up feed readers.

Writers insert with ``position`` NULL and never lock the table; the sequencer gives positions
after commit (see ``sequencer.py`` and docs/ordering.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import TextClause, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.expression import TextualSelect

from schemas.envelope import DomainEvent
from schemas.upcasting import decode
from services.registry.adapters.db import Tables, per_schema
from services.registry.adapters.writes import Guard, PendingWrites


@dataclass(frozen=True)
class _StoreSql:
    lock: TextClause
    naming: TextClause
    locate: TextClause
    load: TextualSelect


@per_schema
def _store_sql(tables: Tables) -> _StoreSql:
    return _StoreSql(
        lock=text(
            f"SELECT {tables.schema}.lock_streams(CAST(:shared AS text[]),"
            " CAST(:exclusive AS text[]))"
        ),
        # A superset (the id as a JSON string anywhere in a payload): callers fold to decide.
        naming=text(
            f"SELECT DISTINCT stream_id FROM {tables.events} WHERE stream_id LIKE ANY(:patterns)"
            " AND strpos(payload::text, :quoted) > 0 ORDER BY stream_id"
        ),
        locate=text(
            f"SELECT stream_id, stream_version FROM {tables.events} WHERE event_id = :id"
            " UNION ALL SELECT stream_id, (r->>'stream_version')::integer"
            f" FROM {tables.events}, jsonb_array_elements(payload->'replaced') r"
            " WHERE event_type = 'RecordsCorrected'"
            " AND r->'replacement'->>'event_id' = CAST(:id AS text) LIMIT 1"
        ),
        load=text(
            f"SELECT payload FROM {tables.events} WHERE stream_id = :stream_id"
            " ORDER BY stream_version"
        ).columns(payload=JSONB),
    )


class PostgresEventStore:
    """``EventStore`` on one connection whose transaction the unit of work owns.

    Streams and locks handed over by :meth:`prefetched` (the unit of work's ``prepare``) are
    not asked for again. ``append`` stages the events in ``pending`` for the unit of work's
    commit (one statement with the kept answers); ``load`` gives what is stored, without
    them. After :meth:`defer_locks` (no transaction
    is open), shared locks are not taken here but collected in :meth:`guard`, for the append to
    take and check.
    """

    def __init__(self, connection: AsyncConnection, tables: Tables, pending: PendingWrites) -> None:
        self._connection = connection
        self._tables = tables
        self._pending = pending
        self._loaded: dict[str, list[DomainEvent]] = {}
        self._held: dict[str, bool] = {}
        self._seen: dict[str, int] = {}
        self._guarded: dict[str, None] | None = None
        self._sql = _store_sql(tables)

    def lock_key(self, stream_id: str) -> str:
        return f"{self._tables.schema}:{stream_id}"

    def prefetched(self, streams: dict[str, list[DomainEvent]], held: dict[str, bool]) -> None:
        """Streams already read, and lock keys already held (key -> exclusive), in this
        transaction."""
        self._loaded.update(streams)
        self._held.update(held)

    def defer_locks(self) -> None:
        self._guarded = {}

    def guard(self) -> Guard:
        """The deferred locks, and the version seen of each guarded stream that was loaded."""
        if not self._guarded:
            return Guard()
        streams = sorted(self._guarded)
        return Guard(
            tuple(map(self.lock_key, streams)),
            tuple((s, self._seen[s]) for s in streams if s in self._seen),
        )

    async def lock(self, shared: Iterable[str] = (), exclusive: Iterable[str] = ()) -> None:
        if self._guarded is not None:
            if exclusive := list(exclusive):
                raise RuntimeError(
                    f"exclusive locks ({exclusive}) need a transaction: declare them in reads()"
                )
            self._guarded.update(dict.fromkeys(shared))
            return
        wanted = dict.fromkeys(map(self.lock_key, shared), False)
        wanted |= dict.fromkeys(map(self.lock_key, exclusive), True)
        wanted = {k: x for k, x in wanted.items() if not (k in self._held and self._held[k] >= x)}
        if not wanted:
            return
        await self._connection.execute(
            self._sql.lock,
            {
                "shared": [k for k, x in wanted.items() if not x],
                "exclusive": [k for k, x in wanted.items() if x],
            },
        )
        self._held.update(wanted)

    async def streams_naming(self, entity_id: str, prefixes: tuple[str, ...]) -> list[str]:
        patterns = [prefix.replace("%", r"\%").replace("_", r"\_") + "%" for prefix in prefixes]
        params = {"patterns": patterns, "quoted": json.dumps(entity_id)}
        return list((await self._connection.execute(self._sql.naming, params)).scalars())

    async def locate(self, event_id: UUID) -> tuple[str, int] | None:
        row = (await self._connection.execute(self._sql.locate, {"id": event_id})).first()
        return None if row is None else (str(row[0]), int(row[1]))

    async def load(self, stream_id: str) -> list[DomainEvent]:
        if (events := self._loaded.get(stream_id)) is None:
            result = await self._connection.execute(self._sql.load, {"stream_id": stream_id})
            events = self._loaded[stream_id] = [decode(payload) for payload in result.scalars()]
        self._seen[stream_id] = events[-1].stream_version if events else 0
        return list(events)

    async def append(self, events: Sequence[DomainEvent]) -> None:
        self._pending.events.extend(events)


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
