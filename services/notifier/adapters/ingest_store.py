"""The consumer's side of PostgreSQL: :class:`~..service_layer.ports.IngestStore`.

Round trips are what ingesting costs, so a batch reads the checkpoint and the knowledge of all
its events in one statement (plus one per level of the organisations' closure), and writes
knowledge, events, jobs and the checkpoint in one statement (``jsonb_to_recordset`` of each).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from schemas.upcasting import decode
from schemas.wire import PositionedEvent
from services.common.dead_letters import DeadLetter, DeadLetterSink
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
    SELECT * FROM jsonb_to_recordset(CAST(:knowledge AS jsonb)) AS changed(
        stream_id text, events jsonb)
    ON CONFLICT (stream_id) DO UPDATE SET events = excluded.events
), events AS (
    INSERT INTO {schema}.events
    SELECT * FROM jsonb_to_recordset(CAST(:events AS jsonb))
        AS alerted(event_id uuid, position bigint, type text, payload jsonb)
    ON CONFLICT DO NOTHING
), jobs AS (
    INSERT INTO {schema}.jobs (id, event_id, subscription_id, webhook_id, position,
        organisation_id, reasons, status, next_attempt_at, created_at, updated_at)
    SELECT id, event_id, subscription_id, webhook_id, position, organisation_id, reasons,
        'pending', created_at, created_at, created_at
    FROM jsonb_to_recordset(CAST(:jobs AS jsonb)) AS job(id uuid, event_id uuid,
        subscription_id uuid, webhook_id text, position bigint, organisation_id text,
        reasons text[], created_at timestamptz)
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

    def __init__(self, conn: AsyncConnection, schema: str, dead_letters: DeadLetterSink) -> None:
        self.conn, self.schema, self.dead_letters = conn, schema, dead_letters
        self._absent: set[str] = set()
        """Streams looked up and not found: not asked again within the batch."""

    async def _rows(self, sql: str, **params: object) -> list[dict[str, Any]]:
        result = await self.conn.execute(text(sql.format(schema=self.schema)), params)
        return [dict(r) for r in result.mappings()] if result.returns_rows else []

    async def checkpoint_and_knowledge(
        self, known: Knowledge, events: Iterable[PositionedEvent]
    ) -> int:
        checkpoint = await self._load(known, events, lock_checkpoint=True)
        if checkpoint is None:
            raise LookupError("the checkpoint row is missing")
        return checkpoint

    async def knowledge(self, known: Knowledge, events: Iterable[PositionedEvent]) -> None:
        await self._load(known, events, lock_checkpoint=False)

    async def _load(
        self, known: Knowledge, events: Iterable[PositionedEvent], lock_checkpoint: bool
    ) -> int | None:
        """The logs of the streams the events name, then, level by level, of the bodies those
        are part of, accountable to or succeeded by, and of the parents of sub-points."""
        wanted: set[str] = set()
        for pe in events:
            wanted |= referenced_streams(pe.event)
        checkpoint = None
        for level in range(MAX_DEPTH + 1):
            wanted -= known.logs.keys() | self._absent
            if not wanted and not (lock_checkpoint and level == 0):
                break
            sql = (_LOCK_CHECKPOINT if lock_checkpoint and level == 0 else "") + _KNOWLEDGE
            for row in await self._rows(sql, streams=sorted(wanted)):
                if row["kind"] == "checkpoint":
                    checkpoint = int(row["id"])
                else:
                    known.logs[row["id"]] = tuple(decode(e) for e in json.loads(row["events"]))
            self._absent |= wanted - known.logs.keys()
            wanted = _related(known, wanted)
        return checkpoint

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
        self._absent.clear()  # what was missing may be written now
        await self._rows(
            _WRITE,
            checkpoint=checkpoint,
            **_knowledge_rows(changes, sorted(changes.changed)),
            events=json.dumps([_event_row(pe) for pe, planned in alerts if planned]),
            jobs=json.dumps([row for pe, planned in alerts for row in _job_rows(pe, planned, now)]),
        )

    @asynccontextmanager
    async def isolated(self) -> AsyncIterator[None]:
        async with self.conn.begin_nested():
            yield

    async def keep_dead_letters(self, letters: Iterable[DeadLetter]) -> tuple[DeadLetter, ...]:
        return await self.dead_letters.keep(self.conn, letters)


class PostgresIngestStore:
    def __init__(self, engine: AsyncEngine, schema: str, dead_letters: DeadLetterSink) -> None:
        self.engine, self.schema, self.dead_letters = engine, schema, dead_letters

    @asynccontextmanager
    async def batch(self) -> AsyncIterator[PostgresIngestBatch]:
        async with self.engine.begin() as conn:
            yield PostgresIngestBatch(conn, self.schema, self.dead_letters)

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


def _related(known: Knowledge, streams: set[str]) -> set[str]:
    """The streams whose logs resolving reads after these: what bodies are part of,
    accountable to, succeeded by; the parent of a sub-point."""
    found: set[str] = set()
    for stream in streams & known.logs.keys():
        if stream.startswith("organisation-"):
            facts = known.org(stream.removeprefix("organisation-"))
            bodies = {facts.parent_id, facts.accountable_to_id, *facts.successor_ids}
            found |= {f"organisation-{b}" for b in bodies if b}
        elif stream.startswith("recommendation-"):
            rec = known.rec(stream.removeprefix("recommendation-"))
            if rec is not None and rec.parent_id:
                found.add(f"recommendation-{rec.parent_id}")
    return found


def _knowledge_rows(known: Knowledge, streams: Iterable[str]) -> dict[str, str]:
    rows = [
        {"stream_id": stream, "events": [e.model_dump(mode="json") for e in known.log(stream)]}
        for stream in streams
    ]
    return {"knowledge": json.dumps(rows)}


def _event_row(pe: PositionedEvent) -> dict[str, object]:
    e = pe.event
    return {
        "event_id": str(e.event_id),
        "position": pe.position,
        "type": e.type,
        "payload": e.model_dump(mode="json"),
    }


def _job_rows(pe: PositionedEvent, planned: Alerts, now: datetime) -> list[dict[str, object]]:
    event_id = str(pe.event.event_id)
    return [
        {
            "id": str(uuid.uuid4()),
            "event_id": event_id,
            "subscription_id": rule.subscription_id,
            "webhook_id": webhook_id(pe.event.event_id, rule.subscription_id),
            "position": pe.position,
            "organisation_id": rule.organisation_id,
            "reasons": sorted(reasons),
            "created_at": now.isoformat(),
        }
        for rule, reasons in planned.items()
    ]
