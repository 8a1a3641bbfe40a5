"""The consumer's side of PostgreSQL: checkpoint, knowledge, events and delivery jobs.

Every method runs on the one connection (and transaction) of a consumed batch.
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
            rows = await self._rows(
                "SELECT * FROM {s}.recommendations WHERE recommendation_id = :i", i=rid
            )
            if rows:
                r = rows[0]
                known.recs[rid] = RecFacts(rid, tuple(r["lead_ids"]), tuple(r["supporting_ids"]))  # type: ignore[arg-type]
                orgs |= {*known.recs[rid].lead_ids, *known.recs[rid].supporting_ids}
        for table, key, col, target in (
            ("holders", "responsibility_id", "holder_id", known.holders),
            ("owners", "action_id", "owner_id", known.owners),
        ):
            for rid in (resps if table == "holders" else acts) - target.keys():
                rows = await self._rows(
                    f"SELECT {col} AS v FROM {{s}}.{table} WHERE {key} = :i", i=rid
                )
                if rows:
                    target[rid] = str(rows[0]["v"])
                    orgs.add(target[rid])
        await self._load_orgs(known, orgs)

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
