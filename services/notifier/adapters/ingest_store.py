"""The consumer's side of PostgreSQL: checkpoint, knowledge, events and delivery jobs.

Every method runs on the one connection (and transaction) of a consumed batch. Round trips are
what ingesting costs, so a batch is read with :meth:`IngestStore.lock_and_preload` (checkpoint
and knowledge of every event at once) and written with :meth:`IngestStore.write` (knowledge,
events, jobs and the checkpoint in one statement); the per-event methods serve the careful path
(one savepoint per event) that a failing batch falls back to.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from schemas.wire import PositionedEvent
from services.notifier.domain.filters import Filter, Rule
from services.notifier.domain.knowledge import Knowledge, OrgFacts, RecFacts, referenced_ids
from services.notifier.domain.messages import webhook_id
from services.notifier.domain.reasons import Reason
from services.notifier.domain.resolution import MAX_DEPTH


@dataclass(frozen=True)
class SourceRecord:
    """Where a consumed record came from, and its bytes (kept for a dead letter)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None = None
    value: bytes | None = None
    headers: tuple[tuple[str, bytes], ...] = ()


@dataclass(frozen=True)
class DeadLetter:
    """A record the consumer gave up on: ``undecodable`` or ``apply_error`` (with its
    position). Both go to the table and the DLQ topic; the checkpoint moves past them."""

    kind: str
    source: SourceRecord
    reason: str
    position: int | None = None


class IngestStore:
    def __init__(self, conn: AsyncConnection, schema: str) -> None:
        self.conn = conn
        self.s = schema
        self._absent: set[tuple[str, str]] = set()
        """(table, id) looked up and not found: not asked again within the batch."""

    async def _rows(self, sql: str, **params: object) -> list[dict[str, object]]:
        result = await self.conn.execute(text(sql.format(s=self.s)), params)
        return [dict(r) for r in result.mappings()] if result.returns_rows else []

    async def lock_checkpoint(self) -> int:
        rows = await self._rows("SELECT position FROM {s}.checkpoint WHERE id = 1 FOR UPDATE")
        return int(str(rows[0]["position"]))

    async def set_checkpoint(self, position: int) -> None:
        await self._rows("UPDATE {s}.checkpoint SET position = :p WHERE id = 1", p=position)

    async def load_knowledge(self, known: Knowledge, event: PositionedEvent) -> None:
        """Fill ``known`` with what resolving ``event`` needs (parents, successors: closure)."""
        orgs, recs, resps, acts = referenced_ids(event.event)
        for rid in recs - known.recs.keys():
            if ("recommendations", rid) in self._absent:
                continue
            rows = await self._rows(
                "SELECT * FROM {s}.recommendations WHERE recommendation_id = :i", i=rid
            )
            if rows:
                r = rows[0]
                known.recs[rid] = RecFacts(rid, tuple(r["lead_ids"]), tuple(r["supporting_ids"]))  # type: ignore[arg-type]
                orgs |= {*known.recs[rid].lead_ids, *known.recs[rid].supporting_ids}
            else:
                self._absent.add(("recommendations", rid))
        for table, key, col, target in (
            ("holders", "responsibility_id", "holder_id", known.holders),
            ("owners", "action_id", "owner_id", known.owners),
        ):
            for rid in (resps if table == "holders" else acts) - target.keys():
                if (table, rid) in self._absent:
                    continue
                rows = await self._rows(
                    f"SELECT {col} AS v FROM {{s}}.{table} WHERE {key} = :i", i=rid
                )
                if rows:
                    target[rid] = str(rows[0]["v"])
                    orgs.add(target[rid])
                else:
                    self._absent.add((table, rid))
        await self._load_orgs(known, orgs)

    async def lock_and_preload(self, known: Knowledge, events: Iterable[PositionedEvent]) -> int:
        """Lock and return the checkpoint, and fill ``known`` with what resolving all of
        ``events`` needs, as stored before the batch: one statement for the checkpoint,
        recommendations, holders and owners, then the organisations' closure."""
        orgs: set[str] = set()
        wanted: dict[str, set[str]] = {"recommendations": set(), "holders": set(), "owners": set()}
        for pe in events:
            o, recs, resps, acts = referenced_ids(pe.event)
            orgs |= o
            wanted["recommendations"] |= recs
            wanted["holders"] |= resps
            wanted["owners"] |= acts
        checkpoint = None
        params = {k: sorted(v) for k, v in wanted.items()}
        for r in await self._rows(_PRELOAD, **params):
            kind, key, a, b = str(r["kind"]), str(r["k"]), r["a"], r["b"]
            if kind == "checkpoint":
                checkpoint = int(key)
                continue
            if kind == "recommendations":
                known.recs[key] = RecFacts(key, tuple(a), tuple(b))  # type: ignore[arg-type]
                orgs.update(a, b)  # type: ignore[arg-type]
            else:
                target = known.holders if kind == "holders" else known.owners
                target[key] = str(a[0])  # type: ignore[index]
                orgs.add(target[key])
            wanted[kind].discard(key)
        self._absent |= {(kind, key) for kind, keys in wanted.items() for key in keys}
        await self._load_orgs(known, orgs)
        if checkpoint is None:
            raise LookupError("the checkpoint row is missing")
        return checkpoint

    async def _load_orgs(self, known: Knowledge, wanted: set[str]) -> None:
        for _ in range(MAX_DEPTH + 1):
            missing = sorted(wanted - known.orgs.keys())
            if not missing:
                return
            rows = await self._rows(
                "SELECT * FROM {s}.organisations WHERE organisation_id = ANY(:ids)", ids=missing
            )
            for r in rows:
                facts = OrgFacts(
                    str(r["organisation_id"]),
                    r["parent_id"],  # type: ignore[arg-type]
                    r["accountable_to_id"],  # type: ignore[arg-type]
                    bool(r["dissolved"]),
                    tuple(r["successor_ids"]),  # type: ignore[arg-type]
                )
                known.orgs[facts.organisation_id] = facts
            for oid in missing:
                known.orgs.setdefault(oid, OrgFacts(oid))
            wanted = set()
            for oid in missing:
                f = known.orgs[oid]
                wanted |= {x for x in (f.parent_id, f.accountable_to_id) if x}
                wanted |= set(f.successor_ids)

    async def save_knowledge(self, dirty: Knowledge) -> None:
        for o in dirty.orgs.values():
            await self._rows(
                "INSERT INTO {s}.organisations VALUES (:i, :p, :a, :d, :succ) "
                "ON CONFLICT (organisation_id) DO UPDATE SET parent_id = :p, "
                "accountable_to_id = :a, dissolved = :d, successor_ids = :succ",
                i=o.organisation_id,
                p=o.parent_id,
                a=o.accountable_to_id,
                d=o.dissolved,
                succ=list(o.successor_ids),
            )
        for r in dirty.recs.values():
            await self._rows(
                "INSERT INTO {s}.recommendations VALUES (:i, :l, :sup) "
                "ON CONFLICT (recommendation_id) DO UPDATE SET lead_ids = :l, "
                "supporting_ids = :sup",
                i=r.recommendation_id,
                l=list(r.lead_ids),
                sup=list(r.supporting_ids),
            )
        for table, key, col, values in (
            ("holders", "responsibility_id", "holder_id", dirty.holders),
            ("owners", "action_id", "owner_id", dirty.owners),
        ):
            for k, v in values.items():
                await self._rows(
                    f"INSERT INTO {{s}}.{table} VALUES (:k, :v) "
                    f"ON CONFLICT ({key}) DO UPDATE SET {col} = :v",
                    k=k,
                    v=v,
                )

    async def write(
        self,
        checkpoint: int,
        dirty: Knowledge,
        events: list[dict[str, object]],
        jobs: list[dict[str, object]],
    ) -> None:
        """Knowledge, events, jobs and the checkpoint of a batch, in one statement."""
        orgs = [
            {
                "organisation_id": o.organisation_id,
                "parent_id": o.parent_id,
                "accountable_to_id": o.accountable_to_id,
                "dissolved": o.dissolved,
                "successor_ids": list(o.successor_ids),
            }
            for o in dirty.orgs.values()
        ]
        recs = [
            {"k": r.recommendation_id, "l": list(r.lead_ids), "sup": list(r.supporting_ids)}
            for r in dirty.recs.values()
        ]
        await self._rows(
            _WRITE,
            p=checkpoint,
            orgs=json.dumps(orgs),
            recs=json.dumps(recs),
            holders=json.dumps([{"k": k, "v": v} for k, v in dirty.holders.items()]),
            owners=json.dumps([{"k": k, "v": v} for k, v in dirty.owners.items()]),
            events=json.dumps(events),
            jobs=json.dumps(jobs, default=str),
        )

    async def rules_for(self, organisations: Iterable[str]) -> list[Rule]:
        """Every subscription of these organisations, active or disabled (nothing is lost)."""
        rows = await self._rows(
            "SELECT id, organisation_id, event_types, reasons, include_oversight "
            "FROM {s}.subscriptions WHERE organisation_id = ANY(:orgs)",
            orgs=sorted(organisations),
        )
        return [
            Rule(
                str(r["id"]),
                str(r["organisation_id"]),
                Filter(tuple(r["event_types"]), frozenset(Reason(x) for x in r["reasons"])),  # type: ignore[attr-defined, arg-type]
                bool(r["include_oversight"]),
            )
            for r in rows
        ]

    async def store_jobs(
        self, pe: PositionedEvent, planned: dict[Rule, frozenset[Reason]], now: datetime
    ) -> int:
        if not planned:
            return 0
        event = pe.event
        await self._rows(
            "INSERT INTO {s}.events VALUES (:i, :p, :t, CAST(:j AS jsonb)) ON CONFLICT DO NOTHING",
            i=event.event_id,
            p=pe.position,
            t=event.type,
            j=json.dumps(event.model_dump(mode="json")),
        )
        for rule, reasons in planned.items():
            await self._rows(
                "INSERT INTO {s}.jobs (id, event_id, subscription_id, webhook_id, position, "
                "organisation_id, reasons, status, next_attempt_at, created_at, updated_at) "
                "VALUES (:id, :e, :sub, :w, :p, :o, :r, 'pending', :now, :now, :now) "
                "ON CONFLICT (event_id, subscription_id) DO NOTHING",
                id=uuid.uuid4(),
                e=event.event_id,
                sub=uuid.UUID(rule.subscription_id),
                w=webhook_id(event.event_id, rule.subscription_id),
                p=pe.position,
                o=rule.organisation_id,
                r=sorted(reasons),
                now=now,
            )
        return len(planned)

    async def save_dead_letter(self, d: DeadLetter) -> bool:
        """Record it; False if it was already recorded (a replayed batch)."""
        rows = await self._rows(
            'INSERT INTO {s}.dead_letters (kind, topic, partition, "offset", position, reason, '
            "key, value) VALUES (:kind, :t, :p, :o, :pos, :r, :k, :v) "
            "ON CONFLICT DO NOTHING RETURNING id",
            kind=d.kind,
            t=d.source.topic,
            p=d.source.partition,
            o=d.source.offset,
            pos=d.position,
            r=d.reason,
            k=d.source.key,
            v=d.source.value,
        )
        return bool(rows)


_PRELOAD = """
WITH cp AS (SELECT position FROM {s}.checkpoint WHERE id = 1 FOR UPDATE)
SELECT 'checkpoint' AS kind, CAST(position AS text) AS k, CAST(NULL AS text[]) AS a,
    CAST(NULL AS text[]) AS b FROM cp
UNION ALL
SELECT 'recommendations', recommendation_id, lead_ids, supporting_ids
FROM {s}.recommendations WHERE recommendation_id = ANY(:recommendations)
UNION ALL
SELECT 'holders', responsibility_id, ARRAY[holder_id], NULL FROM {s}.holders
WHERE responsibility_id = ANY(:holders)
UNION ALL
SELECT 'owners', action_id, ARRAY[owner_id], NULL FROM {s}.owners WHERE action_id = ANY(:owners)
"""

_WRITE = """
WITH orgs AS (
    INSERT INTO {s}.organisations
    SELECT * FROM jsonb_to_recordset(CAST(:orgs AS jsonb)) AS x(organisation_id text,
        parent_id text, accountable_to_id text, dissolved boolean, successor_ids text[])
    ON CONFLICT (organisation_id) DO UPDATE SET parent_id = excluded.parent_id,
        accountable_to_id = excluded.accountable_to_id, dissolved = excluded.dissolved,
        successor_ids = excluded.successor_ids
), recs AS (
    INSERT INTO {s}.recommendations
    SELECT * FROM jsonb_to_recordset(CAST(:recs AS jsonb)) AS x(k text, l text[], sup text[])
    ON CONFLICT (recommendation_id) DO UPDATE SET lead_ids = excluded.lead_ids,
        supporting_ids = excluded.supporting_ids
), holders AS (
    INSERT INTO {s}.holders
    SELECT * FROM jsonb_to_recordset(CAST(:holders AS jsonb)) AS x(k text, v text)
    ON CONFLICT (responsibility_id) DO UPDATE SET holder_id = excluded.holder_id
), owners AS (
    INSERT INTO {s}.owners
    SELECT * FROM jsonb_to_recordset(CAST(:owners AS jsonb)) AS x(k text, v text)
    ON CONFLICT (action_id) DO UPDATE SET owner_id = excluded.owner_id
), events AS (
    INSERT INTO {s}.events
    SELECT * FROM jsonb_to_recordset(CAST(:events AS jsonb))
        AS x(event_id uuid, position bigint, type text, payload jsonb)
    ON CONFLICT DO NOTHING
), jobs AS (
    INSERT INTO {s}.jobs (id, event_id, subscription_id, webhook_id, position, organisation_id,
        reasons, status, next_attempt_at, created_at, updated_at)
    SELECT id, event_id, subscription_id, webhook_id, position, organisation_id, reasons,
        'pending', now, now, now
    FROM jsonb_to_recordset(CAST(:jobs AS jsonb)) AS x(id uuid, event_id uuid,
        subscription_id uuid, webhook_id text, position bigint, organisation_id text,
        reasons text[], now timestamptz)
    ON CONFLICT (event_id, subscription_id) DO NOTHING
)
UPDATE {s}.checkpoint SET position = :p WHERE id = 1
"""
"""Every write of a batch; the jobs' foreign key to events is checked at the end of the
statement, after the events CTE has inserted them."""


def event_row(pe: PositionedEvent) -> dict[str, object]:
    e = pe.event
    return {
        "event_id": str(e.event_id),
        "position": pe.position,
        "type": e.type,
        "payload": e.model_dump(mode="json"),
    }


def job_rows(
    pe: PositionedEvent, planned: dict[Rule, frozenset[Reason]], now: datetime
) -> list[dict[str, object]]:
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
            "now": now.isoformat(),
        }
        for rule, reasons in planned.items()
    ]
