"""Turn a consumed batch into delivery jobs, in one transaction with the knowledge and checkpoint.

Events at or below the checkpoint were already handled (a relay or consumer replay): they are
skipped, and ``UNIQUE (event_id, subscription_id)`` backs that up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas.wire import PositionedEvent
from services.notifier.adapters.ingest_store import DeadLetter, IngestStore
from services.notifier.domain.filters import plan
from services.notifier.domain.knowledge import Knowledge, evolve
from services.notifier.domain.resolution import resolve

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Ingested:
    applied: int
    skipped: int
    jobs: int
    checkpoint: int


async def ingest(
    engine: AsyncEngine,
    schema: str,
    events: Sequence[PositionedEvent],
    dead_letters: Sequence[DeadLetter] = (),
) -> Ingested:
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        store = IngestStore(conn, schema)
        checkpoint = await store.lock_checkpoint()
        fresh = sorted((e for e in events if e.position > checkpoint), key=lambda e: e.position)
        fresh = list({e.position: e for e in fresh}.values())
        known, dirty, jobs = Knowledge(), Knowledge(), 0
        for pe in fresh:
            if pe.position != checkpoint + 1:
                log.warning("position_gap", expected=checkpoint + 1, got=pe.position)
            await store.load_knowledge(known, pe)
            affected = resolve(pe.event, known)
            rules = await store.rules_for(affected.organisations())
            stored = await store.store_jobs(pe, plan(pe.event.type, affected, rules), now)
            jobs += stored
            log.info(
                "event_ingested",
                position=pe.position,
                event_type=pe.event.type,
                correlation_id=pe.event.correlation_id,
                affected=sorted(affected.organisations()),
                jobs=stored,
            )
            changes = evolve(known, pe.event)
            known.merge(changes)
            dirty.merge(changes)
            checkpoint = pe.position
        await store.save_knowledge(dirty)
        await store.save_dead_letters(dead_letters)
        await store.set_checkpoint(checkpoint)
    return Ingested(len(fresh), len(events) - len(fresh), jobs, checkpoint)
