"""Turn a consumed batch into delivery jobs, in one transaction with the knowledge and checkpoint.

Events at or below the checkpoint were already handled (a relay or consumer replay): they are
skipped, and ``UNIQUE (event_id, subscription_id)`` backs that up. Gaps are logged, not waited
for.

A batch is applied at once: knowledge of all its events read together, events resolved in order
in memory, every write in one statement. If that fails, the transaction is rolled back and the
batch is applied again one event at a time, the same way, each in its own savepoint: an event
that still fails (a poison event) is rolled back alone and dead-lettered, the checkpoint moves
past it, and the alerts after it still go out. Only a lost database connection fails the whole
batch (the consumer then replays it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

import structlog

from schemas.envelope import DomainEvent
from schemas.wire import PositionedEvent, UndecodableRecord, decode_record_fast
from services.common.consumer import Handled
from services.common.database import connection_lost
from services.common.dead_letters import APPLY_ERROR, UNDECODABLE, DeadLetter, dead_letter
from services.notifier import metrics
from services.notifier.domain.filters import Rule, plan
from services.notifier.domain.knowledge import Knowledge, evolve
from services.notifier.domain.resolution import Affected, resolve
from services.notifier.service_layer.ports import Alerts, IngestBatch, IngestStore

log = structlog.get_logger(__name__)

Resolver = Callable[[DomainEvent, Knowledge], Affected]


class Consumed(NamedTuple):
    """A decoded event of the batch, and the Kafka record it came from (for a dead letter)."""

    event: PositionedEvent
    record: Any


@dataclass(frozen=True)
class _Applied:
    checkpoint: int
    resolved: list[tuple[PositionedEvent, Affected, int]]
    """Each event applied, who it affects, and how many jobs it made."""

    @property
    def jobs(self) -> int:
        return sum(n for _, _, n in self.resolved)


class Ingest:
    """The consumer kit's batch handler: decode, ingest, dead-letter; ``on_jobs`` runs after a
    batch that stored jobs commits (the delivery workers claim them now)."""

    def __init__(
        self,
        store: IngestStore,
        consumer: str,
        on_jobs: Callable[[], None] = lambda: None,
        resolver: Resolver = resolve,
    ) -> None:
        self.store, self.consumer, self.on_jobs, self.resolver = store, consumer, on_jobs, resolver

    async def __call__(self, topic: str, partition: int, records: Sequence[Any]) -> Handled:
        batch, dead = [], []
        for record in records:
            try:
                batch.append(
                    Consumed(decode_record_fast(record.key, record.value, record.headers), record)
                )
            except UndecodableRecord as exc:
                log.warning("dead_letter", kind=UNDECODABLE, offset=record.offset, reason=str(exc))
                dead.append(dead_letter(UNDECODABLE, self.consumer, record, str(exc)))
        return await self.ingest(batch, dead)

    async def ingest(self, batch: Sequence[Consumed], dead: Sequence[DeadLetter] = ()) -> Handled:
        """Ingest the batch and keep ``dead`` (dead letters new to the table also go to the
        DLQ topic, before the transaction commits: a crash republishes rather than loses)."""
        try:
            async with self.store.batch() as tx:
                applied = await self._apply(tx, batch)
                kept = await tx.keep_dead_letters(dead)
        except Exception as exc:
            if connection_lost(exc):
                raise
            log.warning("batch_redone_event_by_event", reason=f"{type(exc).__name__}: {exc}"[:500])
            async with self.store.batch() as tx:
                applied, failed = await self._apply_one_by_one(tx, batch)
                kept = await tx.keep_dead_letters([*dead, *failed])
        for pe, affected, jobs in applied.resolved:
            _log_ingested(
                pe, affected, jobs
            )  # after the commit: a batch redone is not logged twice
        if applied.jobs:
            metrics.JOBS_CREATED.inc(applied.jobs)
            self.on_jobs()
        return Handled(applied.checkpoint, len(applied.resolved), dead=kept)

    async def _apply(self, tx: IngestBatch, batch: Sequence[Consumed]) -> _Applied:
        """Resolve and store every event of ``batch`` past the checkpoint, in position order."""
        known, changes, now = Knowledge(), Knowledge(), datetime.now(UTC)
        checkpoint = await tx.checkpoint_and_knowledge(known, [c.event for c in batch])
        resolved: list[tuple[PositionedEvent, Affected]] = []
        for pe in _after(batch, checkpoint):
            if pe.position != checkpoint + 1:
                log.warning("position_gap", expected=checkpoint + 1, got=pe.position)
            await tx.knowledge(known, [pe])  # only what an earlier event of the batch introduced
            resolved.append((pe, self.resolver(pe.event, known)))
            changed = evolve(known, pe.event)
            known.merge(changed)
            changes.merge(changed)
            checkpoint = pe.position
        wanted = frozenset().union(*(affected.organisations() for _, affected in resolved))
        rules: dict[str, list[Rule]] = {}
        for rule in await tx.rules_for(wanted):
            rules.setdefault(rule.organisation_id, []).append(rule)
        alerts: list[tuple[PositionedEvent, Alerts]] = []
        for pe, affected in resolved:
            mine = [r for o in sorted(affected.organisations()) for r in rules.get(o, ())]
            alerts.append((pe, plan(pe.event.type, affected, mine)))
        await tx.write(checkpoint, changes, alerts, now)
        counted = [
            (pe, a, len(planned)) for (pe, a), (_, planned) in zip(resolved, alerts, strict=True)
        ]
        return _Applied(checkpoint, counted)

    async def _apply_one_by_one(
        self, tx: IngestBatch, batch: Sequence[Consumed]
    ) -> tuple[_Applied, list[DeadLetter]]:
        """:meth:`_apply` of each event in its own savepoint; those that fail are rolled back
        alone and become dead letters, and the checkpoint still moves past them."""
        checkpoint = await tx.checkpoint_and_knowledge(Knowledge(), [])
        resolved, failed = [], []
        for item in _fresh(batch, checkpoint):
            position = item.event.position
            try:
                async with tx.isolated():
                    resolved += (await self._apply(tx, [item])).resolved
            except Exception as exc:  # one poison event must not stop every alert after it
                if connection_lost(exc):
                    raise
                reason = f"{type(exc).__name__}: {exc}"
                log.warning("dead_letter", kind=APPLY_ERROR, position=position, reason=reason)
                failed.append(
                    dead_letter(APPLY_ERROR, self.consumer, item.record, reason, position)
                )
                await tx.write(position, Knowledge(), [], datetime.now(UTC))  # move past it
            checkpoint = position
        return _Applied(checkpoint, resolved), failed


def _fresh(batch: Sequence[Consumed], checkpoint: int) -> list[Consumed]:
    """The batch past ``checkpoint``, in position order, each position once."""
    fresh = sorted((c for c in batch if c.event.position > checkpoint), key=_position)
    return list({c.event.position: c for c in fresh}.values())


def _after(batch: Sequence[Consumed], checkpoint: int) -> list[PositionedEvent]:
    return [c.event for c in _fresh(batch, checkpoint)]


def _position(item: Consumed) -> int:
    return item.event.position


def _log_ingested(pe: PositionedEvent, affected: Affected, jobs: int) -> None:
    log.info(
        "event_ingested",
        position=pe.position,
        event_type=pe.event.type,
        correlation_id=pe.event.correlation_id,
        affected=sorted(affected.organisations()),
        jobs=jobs,
    )
