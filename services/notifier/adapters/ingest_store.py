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

from schemas.wire import PositionedEvent
from services.common.dead_letters import DeadLetter, DeadLetterSink
from services.notifier.domain.filters import Filter, Rule
from services.notifier.domain.knowledge import Knowledge, OrgFacts, RecFacts, referenced_ids
from services.notifier.domain.messages import webhook_id
from services.notifier.domain.reasons import Reason
from services.notifier.domain.resolution import MAX_DEPTH
from services.notifier.service_layer.ports import Alerted, Alerts

_LOCK_CHECKPOINT = """
WITH locked AS (SELECT position FROM {schema}.checkpoint WHERE id = 1 FOR UPDATE)
SELECT 'checkpoint' AS kind, CAST(position AS text) AS id, CAST(NULL AS text[]) AS first_ids,
    CAST(NULL AS text[]) AS second_ids
FROM locked
UNION ALL
"""

_KNOWLEDGE = """
SELECT 'recommendations' AS kind, recommendation_id AS id, lead_ids AS first_ids,
    supporting_ids AS second_ids
FROM {schema}.recommendations WHERE recommendation_id = ANY(:recommendations)
UNION ALL
SELECT 'holders', responsibility_id, ARRAY[holder_id], NULL
FROM {schema}.holders WHERE responsibility_id = ANY(:holders)
UNION ALL
SELECT 'owners', action_id, ARRAY[owner_id], NULL
FROM {schema}.owners WHERE action_id = ANY(:owners)
"""
"""What resolving needs besides organisations: leads and supporters of recommendations, the
holder of each responsibility, the owner of each action (``first_ids`` holds the one id)."""

_ORGANISATIONS = "SELECT * FROM {schema}.organisations WHERE organisation_id = ANY(:ids)"

_WRITE = """
WITH organisations AS (
    INSERT INTO {schema}.organisations
    SELECT * FROM jsonb_to_recordset(CAST(:organisations AS jsonb)) AS changed(
        organisation_id text, parent_id text, accountable_to_id text, dissolved boolean,
        successor_ids text[])
    ON CONFLICT (organisation_id) DO UPDATE SET parent_id = excluded.parent_id,
        accountable_to_id = excluded.accountable_to_id, dissolved = excluded.dissolved,
        successor_ids = excluded.successor_ids
), recommendations AS (
    INSERT INTO {schema}.recommendations
    SELECT * FROM jsonb_to_recordset(CAST(:recommendations AS jsonb)) AS changed(
        recommendation_id text, lead_ids text[], supporting_ids text[])
    ON CONFLICT (recommendation_id) DO UPDATE SET lead_ids = excluded.lead_ids,
        supporting_ids = excluded.supporting_ids
), holders AS (
    INSERT INTO {schema}.holders
    SELECT * FROM jsonb_to_recordset(CAST(:holders AS jsonb))
        AS changed(responsibility_id text, holder_id text)
    ON CONFLICT (responsibility_id) DO UPDATE SET holder_id = excluded.holder_id
), owners AS (
    INSERT INTO {schema}.owners
    SELECT * FROM jsonb_to_recordset(CAST(:owners AS jsonb))
        AS changed(action_id text, owner_id text)
    ON CONFLICT (action_id) DO UPDATE SET owner_id = excluded.owner_id
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
        self._absent: set[tuple[str, str]] = set()
        """(table, id) looked up and not found: not asked again within the batch."""

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
        orgs: set[str] = set()
        wanted: dict[str, set[str]] = {"recommendations": set(), "holders": set(), "owners": set()}
        for pe in events:
            o, recs, resps, acts = referenced_ids(pe.event)
            orgs |= o
            wanted["recommendations"] |= recs - known.recs.keys()
            wanted["holders"] |= resps - known.holders.keys()
            wanted["owners"] |= acts - known.owners.keys()
        for kind, ids in wanted.items():
            ids -= {i for i in ids if (kind, i) in self._absent}
        checkpoint = None
        if lock_checkpoint or any(wanted.values()):
            sql = (_LOCK_CHECKPOINT if lock_checkpoint else "") + _KNOWLEDGE
            for row in await self._rows(sql, **{k: sorted(v) for k, v in wanted.items()}):
                if row["kind"] == "checkpoint":
                    checkpoint = int(row["id"])
                else:
                    orgs |= _learn(known, row)
                    wanted[row["kind"]].discard(row["id"])
            self._absent |= {(kind, i) for kind, ids in wanted.items() for i in ids}
        await self._load_organisations(known, orgs)
        return checkpoint

    async def _load_organisations(self, known: Knowledge, wanted: set[str]) -> None:
        """The organisations and, level by level, their parents, oversight and successors."""
        for _ in range(MAX_DEPTH + 1):
            missing = sorted(wanted - known.orgs.keys())
            if not missing:
                return
            for r in await self._rows(_ORGANISATIONS, ids=missing):
                known.orgs[r["organisation_id"]] = OrgFacts(
                    r["organisation_id"],
                    r["parent_id"],
                    r["accountable_to_id"],
                    bool(r["dissolved"]),
                    tuple(r["successor_ids"]),
                )
            wanted = set()
            for oid in missing:
                facts = known.orgs.setdefault(oid, OrgFacts(oid))
                wanted |= {x for x in (facts.parent_id, facts.accountable_to_id) if x}
                wanted |= set(facts.successor_ids)

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
            **_knowledge_rows(changes),
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


def _learn(known: Knowledge, row: dict[str, Any]) -> set[str]:
    """Add a knowledge row to ``known``; the organisations it names."""
    kind, key, first, second = row["kind"], row["id"], row["first_ids"], row["second_ids"]
    if kind == "recommendations":
        known.recs[key] = RecFacts(key, tuple(first), tuple(second))
        return {*first, *second}
    target = known.holders if kind == "holders" else known.owners
    target[key] = first[0]
    return {first[0]}


def _knowledge_rows(changes: Knowledge) -> dict[str, str]:
    return {
        "organisations": json.dumps(
            [
                {
                    "organisation_id": o.organisation_id,
                    "parent_id": o.parent_id,
                    "accountable_to_id": o.accountable_to_id,
                    "dissolved": o.dissolved,
                    "successor_ids": list(o.successor_ids),
                }
                for o in changes.orgs.values()
            ]
        ),
        "recommendations": json.dumps(
            [
                {
                    "recommendation_id": r.recommendation_id,
                    "lead_ids": list(r.lead_ids),
                    "supporting_ids": list(r.supporting_ids),
                }
                for r in changes.recs.values()
            ]
        ),
        "holders": json.dumps(
            [{"responsibility_id": k, "holder_id": v} for k, v in changes.holders.items()]
        ),
        "owners": json.dumps([{"action_id": k, "owner_id": v} for k, v in changes.owners.items()]),
    }


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
