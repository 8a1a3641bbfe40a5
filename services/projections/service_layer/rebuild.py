"""Rebuild the read model from the topic's beginning into a fresh data schema, then switch.

1. Create the next data schema; read the topic from offset 0.
2. Fold events in memory (the same :func:`apply` as the live consumer, same ordering and
   dead-letter rules) and store events and checkpoint every ``batch_size`` events, one
   transaction per chunk; once caught up, insert every document once. A correction reads its
   stream's facts back from the new schema, so what was folded before it is stored first.
3. Then, holding the pointer exclusively (live batches wait), drain what arrived meanwhile,
   store it (documents changed since: upserted) and point readers at the new schema in the same
   transaction. Readers keep answering from the old schema until that commit.
4. Drop versions older than the previous one (kept for a quick switch back).
The live consumer notices the switch by itself: its next batch starts past the new checkpoint's
offset or at/below it, so it skips or seeks back (see :mod:`.projector`).

The world lives until the end and folding makes no cyclic garbage, so automatic garbage
collection is off while rebuilding; after each flush the young generation is collected once and
what is alive is frozen out of the collector's sight (docs/benchmarks.md tells why).
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from typing import Any

import structlog

from schemas.corrections import RecordsCorrected
from schemas.wire import PositionedEvent
from services.common.dead_letters import DeadLetter
from services.common.replay import ReplaySource
from services.projections.domain.fold import Placement, apply_isolated
from services.projections.domain.model import KINDS, World
from services.projections.domain.refs import Refs, refs
from services.projections.service_layer.intake import admit, apply_error
from services.projections.service_layer.ports import (
    Checkpoint,
    RebuildLoad,
    RebuildTarget,
)
from services.projections.service_layer.projector import fold_into_store

log = structlog.get_logger(__name__)


def _nothing_changed() -> Refs:
    return {k: set() for k in KINDS}


@dataclass
class _Replay:
    consumer: str
    world: World = field(default_factory=World)
    changed: Refs = field(default_factory=_nothing_changed)
    events: list[tuple[PositionedEvent, Placement]] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)
    checkpoints: dict[int, Checkpoint] = field(default_factory=dict)
    total: int = 0
    documents_stored: bool = False

    def fold(self, record: Any) -> PositionedEvent | None:
        """Fold one record; a correction is returned instead, for :meth:`correct`."""
        cp = self.checkpoints.setdefault(
            record.partition, Checkpoint(record.topic, record.partition)
        )
        positioned, letter = admit(cp, self.consumer, record)
        if letter is not None:
            self.dead.append(letter)
        if positioned is None or isinstance(positioned.event, RecordsCorrected):
            return positioned
        try:
            placement = apply_isolated(self.world, positioned, strict=True)
        except Exception as exc:
            self.dead.append(apply_error(self.consumer, record, positioned.position, exc))
            return None
        if placement is not None:
            self._changed(positioned)
            self.events.append((positioned, placement))
            self.total += 1
        return None

    def _changed(self, positioned: PositionedEvent) -> None:
        if self.documents_stored:  # before that, every document is inserted at once
            for kind, ids in refs(positioned.event).items():
                self.changed[kind] |= ids

    async def correct(self, load: RebuildLoad, record: Any, positioned: PositionedEvent) -> None:
        """Apply a correction over what is stored (:meth:`store` first) and in memory."""
        try:
            applied = await fold_into_store(load, self.world, positioned, None)
        except Exception as exc:
            self.dead.append(apply_error(self.consumer, record, positioned.position, exc))
            return
        if applied:
            self._changed(positioned)
            self.total += 1

    async def store(self, load: RebuildLoad, documents: bool = False) -> None:
        """The events folded since the last call (and the documents, when ``documents``: the
        first time all of them, later those changed since)."""
        for cp in self.checkpoints.values():
            await load.save_checkpoint(cp)
        await load.store_events(self.events)
        await load.tighten(
            [(p.depends_on, p.hi) for e, p in self.events if e.event.occurred_at is not None]
        )
        await load.keep_dead_letters(self.dead)
        self.events, self.dead = [], []
        if not documents:
            return
        if self.documents_stored:
            await load.save(self.world, self.changed)
        else:
            await load.insert_documents(self.world)
            self.documents_stored = True
        self.changed = _nothing_changed()


async def rebuild(
    target: RebuildTarget, source: ReplaySource, consumer: str, batch_size: int
) -> str:
    """Rebuild into a new data schema and switch readers to it; return its name."""
    schema = await target.create()
    replay = _Replay(consumer)
    collecting = gc.isenabled()
    gc.disable()
    try:
        async for records in source.until_end():
            for record in records:
                if (correction := replay.fold(record)) is not None:
                    async with target.load() as load:
                        await replay.store(load)
                        await replay.correct(load, record, correction)
            if len(replay.events) >= batch_size:
                await _flush(target, replay)
        await _flush(target, replay, documents=True)
        async with target.switching() as load:
            async for records in source.until_end():
                for record in records:
                    if (correction := replay.fold(record)) is not None:
                        await replay.store(load)
                        await replay.correct(load, record, correction)
            await replay.store(load, documents=True)
    finally:
        gc.unfreeze()
        if collecting:
            gc.enable()
    await target.drop_older()
    log.info("rebuilt", schema=schema, events=replay.total)
    return schema


async def _flush(target: RebuildTarget, replay: _Replay, documents: bool = False) -> None:
    async with target.load() as load:
        await replay.store(load, documents)
    gc.collect(0)  # the cyclic garbage made since the last flush (drivers, asyncio)
    gc.freeze()
