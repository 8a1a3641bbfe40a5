"""Project one partition's batch of Kafka records in ONE transaction: exactly once in effect.

The consumer kit (:mod:`services.common.consumer`) calls :class:`Projector` and commits the
offset after it returns. In the transaction: read the checkpoint, load every document the
batch's events touch at once, fold the events in memory (each isolated: one that cannot be
applied leaves the documents as they were and becomes a dead letter), then write the documents,
the stored events and the checkpoint (offset and position) together. If writing fails, the
batch is redone in a new transaction one event at a time, the same way, each in its own
savepoint (a poison event is dead-lettered alone). A redelivered record is at or below the
checkpoint offset (or position) and is skipped. A batch starting past ``checkpoint offset +
1`` (the consumer ran ahead of the database: a failed batch, or a rebuild switched schemas)
writes nothing and asks to seek back. A correction reads its stream's facts back from the
store, so what was folded before it is written first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import structlog

from schemas.corrections import RecordsCorrected
from schemas.wire import PositionedEvent
from services.common.consumer import Handled
from services.common.database import connection_lost
from services.common.dead_letters import APPLY_ERROR, UNDECODABLE, DeadLetter
from services.projections.domain.fold import Placement, apply, apply_isolated, correct, stream_doc
from services.projections.domain.model import KINDS, World
from services.projections.domain.refs import Refs, refs
from services.projections.service_layer.intake import admit, apply_error
from services.projections.service_layer.ports import (
    Checkpoint,
    ReadModelBatch,
    ReadModelStore,
    ReadModelWrites,
)

log = structlog.get_logger(__name__)


class _Item(NamedTuple):
    positioned: PositionedEvent
    record: Any


@dataclass
class _Tally:
    applied: int = 0
    skipped: int = 0
    dead: list[DeadLetter] = field(default_factory=list)


class Projector:
    """The live consumer's batch handler; ``on_applied`` runs after each committed batch (the
    service's readers wake their waits)."""

    def __init__(
        self,
        read_model: ReadModelStore,
        consumer: str,
        on_applied: Callable[[], None] = lambda: None,
    ) -> None:
        self.read_model, self.consumer, self.on_applied = read_model, consumer, on_applied

    async def __call__(self, topic: str, partition: int, records: Sequence[Any]) -> Handled:
        try:
            handled = await self._project(topic, partition, records, one_by_one=False)
        except Exception as exc:
            if connection_lost(exc):
                raise
            log.warning("batch_redone_event_by_event", reason=f"{type(exc).__name__}: {exc}"[:500])
            handled = await self._project(topic, partition, records, one_by_one=True)
        if handled.seek_to is None:
            self.on_applied()
        return handled

    async def _project(
        self, topic: str, partition: int, records: Sequence[Any], one_by_one: bool
    ) -> Handled:
        async with self.read_model.batch() as batch:
            cp = await batch.checkpoint(topic, partition)
            if records and records[0].offset > cp.offset + 1:
                return Handled(cp.position, seek_to=cp.offset + 1)
            tally = _Tally()
            items = self._fresh(cp, records, tally)
            if one_by_one:
                for item in items:
                    try:
                        async with batch.isolated():
                            await self._apply(batch, [item], tally)
                    except Exception as exc:  # one poison event must not stop the batch
                        if connection_lost(exc):
                            raise
                        self._dead(tally, item, exc)
            else:
                await self._apply(batch, items, tally)
            await batch.save_checkpoint(cp)
            new = await batch.keep_dead_letters(tally.dead)
        return Handled(cp.position, tally.applied, tally.skipped, new)

    def _fresh(self, cp: Checkpoint, records: Sequence[Any], tally: _Tally) -> list[_Item]:
        """The records past the checkpoint, decoded; the checkpoint moves past every one
        (undecodable and position gaps are dead-lettered, duplicates skipped)."""
        items = []
        for record in records:
            if record.offset <= cp.offset:
                tally.skipped += 1
                continue
            after = cp.position
            positioned, letter = admit(cp, self.consumer, record)
            if letter is not None:
                self._refused(tally, letter, after)
            if positioned is not None:
                items.append(_Item(positioned, record))
            elif letter is None:
                tally.skipped += 1  # a duplicate
        return items

    def _refused(self, tally: _Tally, letter: DeadLetter, after: int) -> None:
        """Log and keep an undecodable record or a gap (``after``: the position before it)."""
        if letter.kind == UNDECODABLE:
            offset = letter.source.offset
            log.warning("dead_letter", kind=UNDECODABLE, offset=offset, reason=letter.reason)
        else:
            log.error("position_gap", after=after, got=letter.position)
        tally.dead.append(letter)

    async def _apply(self, batch: ReadModelBatch, items: Sequence[_Item], tally: _Tally) -> None:
        """Fold ``items`` over the documents they touch, loaded at once, and write them."""
        touched: Refs = {kind: set() for kind in KINDS}
        for item in items:
            for kind, ids in refs(item.positioned.event).items():
                touched[kind] |= ids
        world = await batch.load(touched)
        placed: list[tuple[PositionedEvent, Placement]] = []
        for item in items:
            if isinstance(item.positioned.event, RecordsCorrected):
                await _write(batch, world, touched, placed)
                placed = []
                async with batch.isolated():
                    await fold_into_store(batch, world, item.positioned, batch.load)
                self._applied(tally, item)
                continue
            try:
                placement = apply_isolated(world, item.positioned, strict=True)
            except Exception as exc:  # the documents are as they were: dead-letter it alone
                self._dead(tally, item, exc)
                continue
            if placement is not None:
                placed.append((item.positioned, placement))
            self._applied(tally, item)
        await _write(batch, world, touched, placed)

    def _applied(self, tally: _Tally, item: _Item) -> None:
        tally.applied += 1
        event = item.positioned.event
        log.info(
            "event_applied",
            position=item.positioned.position,
            event_type=event.type,
            stream_id=event.stream_id,
            correlation_id=event.correlation_id,
        )

    def _dead(self, tally: _Tally, item: _Item, exc: Exception) -> None:
        position = item.positioned.position
        letter = apply_error(self.consumer, item.record, position, exc)
        log.warning("dead_letter", kind=APPLY_ERROR, position=position, reason=letter.reason)
        tally.dead.append(letter)


async def _write(
    writes: ReadModelWrites,
    world: World,
    touched: Refs,
    placed: list[tuple[PositionedEvent, Placement]],
) -> None:
    """The documents touched, the stored events, and what dated facts tighten (at once)."""
    await writes.save(world, touched)
    await writes.store_events(placed)
    await writes.tighten(
        [(p.depends_on, p.hi) for e, p in placed if e.event.occurred_at is not None]
    )


async def apply_one(batch: ReadModelBatch, positioned: PositionedEvent) -> None:
    """Load what the event touches, fold it in, write the documents and the stored event (a
    correction: the corrected facts too, loading what they name)."""
    touched = refs(positioned.event)
    world = await batch.load(touched)
    await fold_into_store(batch, world, positioned, batch.load)
    await batch.save(world, touched)


Loader = Callable[[Refs], Awaitable[World]]


async def fold_into_store(
    writes: ReadModelWrites, world: World, positioned: PositionedEvent, load: Loader | None
) -> bool:
    """:func:`apply` (or :func:`correct`) ``positioned`` onto ``world`` and store its row(s);
    False for a duplicate. ``world`` holds what :func:`refs` names (the caller saves it); a
    correction folds its stream's facts again, so what they name is loaded (``load``) unless
    ``world`` holds everything already (the rebuild). A dated fact tightens what it depends
    on."""
    event = positioned.event
    if isinstance(event, RecordsCorrected):
        if event.stream_version <= stream_doc(world, event.stream_id).version:
            return False
        before = await writes.stream_facts(event.stream_id)
        if load is not None:
            await _load_missing(load, world, [refs(fact.event) for fact in before])
        await writes.record_correction(correct(world, positioned, before))
        return True
    placement = apply(world, positioned, strict=True)
    if placement is None:
        return False
    await writes.store_events([(positioned, placement)])
    if event.occurred_at is not None:
        await writes.tighten([(placement.depends_on, placement.hi)])
    return True


async def _load_missing(load: Loader, world: World, wanted: list[Refs]) -> None:
    missing: Refs = {kind: set() for kind in KINDS}
    for named in wanted:
        for kind, ids in named.items():
            missing[kind] |= ids - getattr(world, kind).keys()
    found = await load(missing)
    for kind in KINDS:
        getattr(world, kind).update(getattr(found, kind))
