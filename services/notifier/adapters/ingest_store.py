"""The consumer's side of PostgreSQL: :class:`~..service_layer.ports.IngestStore`.

Round trips are what ingesting costs, so a batch locks the checkpoint and reads the knowledge
of all its events in one statement (plus one per level of the organisations' closure, for
streams not read yet), and writes knowledge, events, jobs and the checkpoint in one statement
(``unnest`` of arrays; the jobs as a ``jsonb`` recordset). Logs come from the
:class:`~.knowledge_cache.KnowledgeCache` when it is true at the locked checkpoint, so a steady
consumer reads only streams it has never seen.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from schemas.streams import PREFIXES, organisation_stream, recommendation_stream
from schemas.upcasting import decode
from schemas.wire import PositionedEvent
from services.common.dead_letters import DeadLetter, DeadLetterSink
from services.notifier.adapters.knowledge_cache import KnowledgeCache, Stored, StoredLog, extended
from services.notifier.domain.filters import Filter, Rule
from services.notifier.domain.knowledge import Knowledge, referenced_streams
from services.notifier.domain.messages import webhook_id
from services.notifier.domain.reasons import Reason
from services.notifier.domain.resolution import MAX_DEPTH
from services.notifier.service_layer.ports import Alerted, Alerts

_LOCK_CHECKPOINT = """
WITH locked AS (SELECT position FROM {schema}.checkpoint WHERE id = 1 FOR UPDATE)
SELECT 'checkpoint' AS kind, CAST(position AS text) AS id, CAST(NULL AS text) AS events
FROM locked
UNION ALL
"""

_KNOWLEDGE = """
SELECT 'knowledge' AS kind, stream_id AS id, CAST(events AS text) AS events
FROM {schema}.knowledge WHERE stream_id = ANY(:streams)
"""
"""The logs resolving needs (one row per stream: its events as a JSON array)."""

_WRITE = """
WITH knowledge AS (
    INSERT INTO {schema}.knowledge
    SELECT * FROM unnest(CAST(:streams AS text[]), CAST(:logs AS jsonb[]))
    ON CONFLICT (stream_id) DO UPDATE SET events = excluded.events
), events AS (
    INSERT INTO {schema}.events
    SELECT * FROM unnest(CAST(:event_ids AS uuid[]), CAST(:positions AS bigint[]),
        CAST(:types AS text[]), CAST(:payloads AS jsonb[]))
    ON CONFLICT DO NOTHING
), jobs AS (
    INSERT INTO {schema}.jobs (id, event_id, subscription_id, webhook_id, position,
        organisation_id, reasons, status, next_attempt_at, created_at, updated_at)
    SELECT gen_random_uuid(), event_id, subscription_id, webhook_id, position, organisation_id,
        reasons, 'pending', CAST(:now AS timestamptz), CAST(:now AS timestamptz),
        CAST(:now AS timestamptz)
    FROM jsonb_to_recordset(CAST(:jobs AS jsonb)) AS job(event_id uuid, subscription_id uuid,
        webhook_id text, position bigint, organisation_id text, reasons text[])
    ON CONFLICT (event_id, subscription_id) DO NOTHING
)
UPDATE {schema}.checkpoint SET position = :checkpoint WHERE id = 1
"""
"""Every write of a batch in one statement; the jobs' foreign key to events is checked at the
end of the statement, after the ``events`` part has inserted them."""

_RULES = (
    "SELECT id, organisation_id, event_types, reasons, include_oversight "
    "FROM {schema}.subscriptions WHERE organisation_id = ANY(:organisations)"
)


class PostgresIngestBatch:
    """:class:`~..ports.IngestBatch` on one connection and transaction."""

    def __init__(self, conn: AsyncConnection, store: PostgresIngestStore) -> None:
        self.conn, self.store = conn, store
        self.rows: dict[str, Stored] = {}
        """What this transaction knows the knowledge table holds (read, or written by it)."""
        self.trusted = False
        """The checkpoint is locked and the cache is true at it."""
        self.checkpoint: int | None = None
        """The checkpoint this transaction wrote last."""

    async def _rows(self, sql: str, **params: object) -> list[dict[str, Any]]:
        result = await self.conn.execute(self.store.sql(sql), params)
        return [dict(r) for r in result.mappings()] if result.returns_rows else []

    async def checkpoint_and_knowledge(
        self, known: Knowledge, events: Iterable[PositionedEvent]
    ) -> int:
        wanted = _referenced(events)
        cache = self.store.cache
        cached = cache.found(wanted - self.rows.keys())
        checkpoint, read = await self._read(wanted - self.rows.keys() - cached.keys(), lock=True)
        if not self.trusted:
            if checkpoint != cache.position:
                # Another consumer wrote: the cache is stale, and so may be what the locking
                # statement read (its snapshot is older than the lock if it waited for a batch
                # that held it). Read again, now that the lock is held.
                cache.reset(checkpoint)
                _, read = await self._read(read.keys() | cached.keys(), lock=False)
                cached = {}
            self.trusted = True
        self.rows.update(cached)
        self.rows.update(read)
        await self._closure(known, wanted)
        if checkpoint is None:
            raise LookupError("the checkpoint row is missing")
        return checkpoint

    async def knowledge(self, known: Knowledge, events: Iterable[PositionedEvent]) -> None:
        await self._closure(known, _referenced(events))

    async def _closure(self, known: Knowledge, wanted: set[str]) -> None:
        """The logs of the streams the events name, then, level by level, of the bodies those
        are part of, accountable to or succeeded by, and of the parents of sub-points."""
        for _ in range(MAX_DEPTH + 1):
            wanted = wanted - known.logs.keys()
            missing = wanted - self.rows.keys()
            if self.trusted:
                self.rows.update(self.store.cache.found(missing))
            _, read = await self._read(missing - self.rows.keys(), lock=False)
            self.rows.update(read)
            for stream in wanted:
                row = self.rows.get(stream)
                if row is not None:
                    known.logs[stream] = row.log
            wanted = _related(known, wanted)
            if not wanted:
                break

    async def _read(
        self, streams: Iterable[str], lock: bool
    ) -> tuple[int | None, dict[str, Stored]]:
        """The stored rows of ``streams`` (None for those without one); with ``lock``, also
        lock and return the checkpoint."""
        wanted = sorted(streams)
        if not wanted and not lock:
            return None, {}
        checkpoint, found = None, dict.fromkeys(wanted, None)
        sql = (_LOCK_CHECKPOINT if lock else "") + _KNOWLEDGE
        for row in await self._rows(sql, streams=wanted):
            if row["kind"] == "checkpoint":
                checkpoint = int(row["id"])
            else:
                log = tuple(decode(e) for e in json.loads(row["events"]))
                found[row["id"]] = StoredLog(log, row["events"])
        return checkpoint, found

    async def rules_for(self, organisations: Iterable[str]) -> list[Rule]:
        wanted = sorted(organisations)
        if not wanted:
            return []
        return [
            Rule(
                str(r["id"]),
                r["organisation_id"],
                Filter(tuple(r["event_types"]), frozenset(Reason(x) for x in r["reasons"])),
                bool(r["include_oversight"]),
            )
            for r in await self._rows(_RULES, organisations=wanted)
        ]

    async def write(
        self, checkpoint: int, changes: Knowledge, alerts: Sequence[Alerted], now: datetime
    ) -> None:
        logs = {s: extended(self.rows.get(s), changes.log(s)) for s in sorted(changes.changed)}
        alerted = [pe for pe, planned in alerts if planned]
        await self._rows(
            _WRITE,
            checkpoint=checkpoint,
            now=now,
            streams=list(logs),
            logs=[row.text for row in logs.values()],
            event_ids=[pe.event.event_id for pe in alerted],
            positions=[pe.position for pe in alerted],
            types=[pe.event.type for pe in alerted],
            payloads=[pe.event.model_dump_json() for pe in alerted],
            jobs=json.dumps([row for pe, planned in alerts for row in _job_rows(pe, planned)]),
        )
        self.rows.update(logs)
        self.checkpoint = checkpoint

    @asynccontextmanager
    async def isolated(self) -> AsyncIterator[None]:
        rows, written = dict(self.rows), self.checkpoint
        try:
            async with self.conn.begin_nested():
                yield
        except BaseException:
            self.rows, self.checkpoint = rows, written
            raise

    async def keep_dead_letters(self, letters: Iterable[DeadLetter]) -> tuple[DeadLetter, ...]:
        return await self.store.dead_letters.keep(self.conn, letters)

    def committed(self) -> None:
        """After the commit: what this batch read and wrote is what the table holds."""
        cache = self.store.cache
        if self.trusted and self.checkpoint is not None:
            cache.committed(self.rows, self.checkpoint)
        elif self.checkpoint is not None:  # written without locking first: trust nothing
            cache.reset(None)


class PostgresIngestStore:
    def __init__(
        self,
        engine: AsyncEngine,
        schema: str,
        dead_letters: DeadLetterSink,
        cache_streams: int = 10_000,
    ) -> None:
        self.engine, self.schema, self.dead_letters = engine, schema, dead_letters
        self.cache = KnowledgeCache(cache_streams)
        self._statements: dict[str, Any] = {}

    def sql(self, template: str) -> Any:
        """``template`` in this schema, as a statement built once (SQLAlchemy caches its
        compiled form by the object)."""
        found = self._statements.get(template)
        if found is None:
            found = self._statements[template] = text(template.format(schema=self.schema))
        return found

    @asynccontextmanager
    async def batch(self) -> AsyncIterator[PostgresIngestBatch]:
        async with self.engine.begin() as conn:
            tx = PostgresIngestBatch(conn, self)
            yield tx
        tx.committed()

    async def knowledge_to_rebuild(self) -> int | None:
        sql = f"SELECT through_position FROM {self.schema}.knowledge_rebuild"
        async with self.engine.connect() as conn:
            found = (await conn.execute(text(sql))).scalar()
        return None if found is None else int(found)

    async def replace_knowledge(self, known: Knowledge) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(text(f"DELETE FROM {self.schema}.knowledge"))
            await conn.execute(
                text(
                    f"INSERT INTO {self.schema}.knowledge SELECT * FROM jsonb_to_recordset("
                    "CAST(:knowledge AS jsonb)) AS logs(stream_id text, events jsonb)"
                ),
                _knowledge_rows(known, sorted(known.logs)),
            )
            await conn.execute(text(f"DELETE FROM {self.schema}.knowledge_rebuild"))
        self.cache.reset(None)


def _referenced(events: Iterable[PositionedEvent]) -> set[str]:
    wanted: set[str] = set()
    for pe in events:
        wanted |= referenced_streams(pe.event)
    return wanted


def _related(known: Knowledge, streams: set[str]) -> set[str]:
    """The streams whose logs resolving reads after these: what bodies are part of,
    accountable to, succeeded by; the parent of a sub-point."""
    found: set[str] = set()
    for stream in streams & known.logs.keys():
        if stream.startswith(PREFIXES["organisations"]):
            facts = known.org(stream.removeprefix(PREFIXES["organisations"]))
            bodies = {facts.parent_id, facts.accountable_to_id, *facts.successor_ids}
            found |= {organisation_stream(b) for b in bodies if b}
        elif stream.startswith(PREFIXES["recommendations"]):
            rec = known.rec(stream.removeprefix(PREFIXES["recommendations"]))
            if rec is not None and rec.parent_id:
                found.add(recommendation_stream(rec.parent_id))
    return found


def _knowledge_rows(known: Knowledge, streams: Iterable[str]) -> dict[str, str]:
    rows = [
        {"stream_id": stream, "events": [e.model_dump(mode="json") for e in known.log(stream)]}
        for stream in streams
    ]
    return {"knowledge": json.dumps(rows)}


def _job_rows(pe: PositionedEvent, planned: Alerts) -> list[dict[str, object]]:
    event_id = str(pe.event.event_id)
    return [
        {
            "event_id": event_id,
            "subscription_id": rule.subscription_id,
            "webhook_id": webhook_id(pe.event.event_id, rule.subscription_id),
            "position": pe.position,
            "organisation_id": rule.organisation_id,
            "reasons": sorted(reasons),
        }
        for rule, reasons in planned.items()
    ]
