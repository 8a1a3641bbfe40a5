"""Turn a consumed batch into delivery jobs, in one transaction with the knowledge and checkpoint.

Events at or below the checkpoint were already handled (a relay or consumer replay): they are
skipped, and ``UNIQUE (event_id, subscription_id)`` backs that up.

A batch is first tried on the fast path: knowledge of all its events read at once, events
resolved in order in memory, then every write in one statement (a handful of round trips per
batch rather than ten per event). If anything in it fails, that transaction is rolled back and
the batch is redone carefully: each event in its own SAVEPOINT, so one that fails (a poison
event) is rolled back alone, recorded as an ``apply_error`` dead letter, and the checkpoint
moves past it: the rest of the batch, and every alert after it, still goes out. Only a lost
database connection fails the whole batch (the consumer then replays it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import structlog
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas.envelope import DomainEvent
from schemas.wire import PositionedEvent
from services.notifier.adapters.ingest_store import (
    DeadLetter,
    IngestStore,
    SourceRecord,
    event_row,
    job_rows,
)
from services.notifier.domain.filters import Rule, plan
from services.notifier.domain.knowledge import Knowledge, evolve
from services.notifier.domain.resolution import Affected, resolve

log = structlog.get_logger(__name__)

Resolver = Callable[[DomainEvent, Knowledge], Affected]


class DeadLetterSink(Protocol):
    async def publish(self, letter: DeadLetter) -> None: ...


@dataclass(frozen=True)
class Consumed:
    event: PositionedEvent
    source: SourceRecord


@dataclass(frozen=True)
class Ingested:
    applied: int
    skipped: int
    jobs: int
    checkpoint: int
    dead: tuple[DeadLetter, ...] = ()
    """Dead letters recorded by this batch (not those a replay had already recorded)."""


async def ingest(
    engine: AsyncEngine,
    schema: str,
    batch: Sequence[Consumed],
    dead_letters: Sequence[DeadLetter] = (),
    *,
    publisher: DeadLetterSink,
    resolver: Resolver = resolve,
) -> Ingested:
    """Ingest the batch; dead letters new to the table also go to the DLQ topic, before the
    transaction commits (so a crash republishes rather than loses them)."""
    try:
        return await _fast(engine, schema, batch, dead_letters, publisher, resolver)
    except Exception as exc:
        if _connection_lost(exc):
            raise
        log.warning("batch_redone_carefully", reason=f"{type(exc).__name__}: {exc}"[:500])
    return await _careful(engine, schema, batch, dead_letters, publisher, resolver)


async def _fast(
    engine: AsyncEngine,
    schema: str,
    batch: Sequence[Consumed],
    dead_letters: Sequence[DeadLetter],
    publisher: DeadLetterSink,
    resolver: Resolver,
) -> Ingested:
    async with engine.begin() as conn:
        store = IngestStore(conn, schema)
        known, dirty, now = Knowledge(), Knowledge(), datetime.now(UTC)
        checkpoint = await store.lock_and_preload(known, [c.event for c in batch])
        fresh = _fresh(batch, checkpoint)
        resolved: list[tuple[PositionedEvent, Affected]] = []
        for item in fresh:
            pe = item.event
            if pe.position != checkpoint + 1:
                log.warning("position_gap", expected=checkpoint + 1, got=pe.position)
            await store.load_knowledge(known, pe)  # only what a previous event introduced
            resolved.append((pe, resolver(pe.event, known)))
            changes = evolve(known, pe.event)
            known.merge(changes)
            dirty.merge(changes)
            checkpoint = pe.position
        wanted = frozenset().union(*(a.organisations() for _, a in resolved))
        rules: dict[str, list[Rule]] = {}
        for rule in await store.rules_for(wanted) if wanted else []:
            rules.setdefault(rule.organisation_id, []).append(rule)
        events, jobs, counts = [], [], []
        for pe, affected in resolved:
            mine = [r for o in sorted(affected.organisations()) for r in rules.get(o, ())]
            planned = plan(pe.event.type, affected, mine)
            if planned:
                events.append(event_row(pe))
                jobs += job_rows(pe, planned, now)
            counts.append(len(planned))
        recorded = tuple([d for d in dead_letters if await store.save_dead_letter(d)])
        for letter in recorded:
            await publisher.publish(letter)
        await store.write(checkpoint, dirty, events, jobs)
    for (pe, affected), n in zip(resolved, counts, strict=True):
        _log_ingested(pe, affected, n)  # after the commit: a batch redone is not logged twice
    return Ingested(len(fresh), len(batch) - len(fresh), len(jobs), checkpoint, recorded)


def _fresh(batch: Sequence[Consumed], checkpoint: int) -> list[Consumed]:
    fresh = sorted((c for c in batch if c.event.position > checkpoint), key=_position)
    return list({c.event.position: c for c in fresh}.values())


def _log_ingested(pe: PositionedEvent, affected: Affected, jobs: int) -> None:
    log.info(
        "event_ingested",
        position=pe.position,
        event_type=pe.event.type,
        correlation_id=pe.event.correlation_id,
        affected=sorted(affected.organisations()),
        jobs=jobs,
    )


async def _careful(
    engine: AsyncEngine,
    schema: str,
    batch: Sequence[Consumed],
    dead_letters: Sequence[DeadLetter],
    publisher: DeadLetterSink,
    resolver: Resolver,
) -> Ingested:
    async with engine.begin() as conn:
        store = IngestStore(conn, schema)
        checkpoint = await store.lock_checkpoint()
        fresh = _fresh(batch, checkpoint)
        run = _Run(store, resolver, list(dead_letters))
        for item in fresh:
            if item.event.position != checkpoint + 1:
                log.warning("position_gap", expected=checkpoint + 1, got=item.event.position)
            await run.one(item)
            checkpoint = item.event.position
        await store.save_knowledge(run.dirty)
        recorded = tuple([d for d in run.dead if await store.save_dead_letter(d)])
        for letter in recorded:
            await publisher.publish(letter)
        await store.set_checkpoint(checkpoint)
    return Ingested(len(fresh), len(batch) - len(fresh), run.jobs, checkpoint, recorded)


def _position(item: Consumed) -> int:
    return item.event.position


class _Run:
    """One batch's state: what is known, what changed, jobs stored, dead letters."""

    def __init__(self, store: IngestStore, resolver: Resolver, dead: list[DeadLetter]) -> None:
        self.store, self.resolver, self.dead = store, resolver, dead
        self.known, self.dirty, self.jobs = Knowledge(), Knowledge(), 0
        self.now = datetime.now(UTC)

    async def one(self, item: Consumed) -> None:
        pe = item.event
        try:
            async with self.store.conn.begin_nested():
                changes = await self._ingest(pe)
        except Exception as exc:  # one poison event must not stop every alert after it
            if _connection_lost(exc):
                raise
            reason = f"{type(exc).__name__}: {exc}"
            log.warning("dead_letter", kind="apply_error", position=pe.position, reason=reason)
            self.dead.append(DeadLetter("apply_error", item.source, reason, pe.position))
            return
        self.known.merge(changes)
        self.dirty.merge(changes)

    async def _ingest(self, pe: PositionedEvent) -> Knowledge:
        await self.store.load_knowledge(self.known, pe)
        affected = self.resolver(pe.event, self.known)
        rules = await self.store.rules_for(affected.organisations())
        stored = await self.store.store_jobs(pe, plan(pe.event.type, affected, rules), self.now)
        changes = evolve(self.known, pe.event)
        self.jobs += stored
        _log_ingested(pe, affected, stored)
        return changes


def _connection_lost(exc: Exception) -> bool:
    """Infrastructure, not the event: the batch is retried rather than the event discarded."""
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, sa_exc.InterfaceError | sa_exc.DisconnectionError)
