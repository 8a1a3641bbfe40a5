"""Project one partition's batch of Kafka records in ONE transaction: exactly once in effect.

The consumer kit (:mod:`services.common.consumer`) calls :class:`Projector` and commits the
offset after it returns. In the transaction: read the checkpoint, apply each new event inside
a savepoint, dead-letter what cannot be decoded or applied, write the checkpoint (offset and
position). A redelivered record is at or below the checkpoint offset (or position) and is
skipped. A batch starting past ``checkpoint offset + 1`` (the consumer ran ahead of the
database: a failed batch, or a rebuild switched schemas) writes nothing and asks to seek back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog

from schemas.corrections import RecordsCorrected
from schemas.wire import PositionedEvent, UndecodableRecord, decode_record
from services.common.consumer import Handled
from services.common.dead_letters import (
    APPLY_ERROR,
    POSITION_GAP,
    UNDECODABLE,
    DeadLetter,
    dead_letter,
)
from services.projections.domain.fold import apply, correct, stream_doc
from services.projections.domain.model import KINDS, World
from services.projections.domain.ordering import standing
from services.projections.domain.refs import Refs, refs
from services.projections.service_layer.ports import (
    Checkpoint,
    ReadModelBatch,
    ReadModelStore,
    ReadModelWrites,
)

log = structlog.get_logger(__name__)


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
        async with self.read_model.batch() as batch:
            cp = await batch.checkpoint(topic, partition)
            if records and records[0].offset > cp.offset + 1:
                return Handled(cp.position, seek_to=cp.offset + 1)
            tally = _Tally()
            for record in records:
                if record.offset <= cp.offset:
                    tally.skipped += 1
                    continue
                await self._one(batch, cp, record, tally)
                cp.offset = record.offset
            await batch.save_checkpoint(cp)
            new = await batch.keep_dead_letters(tally.dead)
        self.on_applied()
        return Handled(cp.position, tally.applied, tally.skipped, new)

    async def _one(self, batch: ReadModelBatch, cp: Checkpoint, record: Any, tally: _Tally) -> None:
        try:
            positioned = decode_record(record.key, record.value, record.headers)
        except UndecodableRecord as exc:
            log.warning("dead_letter", kind=UNDECODABLE, offset=record.offset, reason=str(exc))
            tally.dead.append(dead_letter(UNDECODABLE, self.consumer, record, str(exc)))
            return
        where = standing(cp.position, positioned.position)
        if where == "duplicate":
            tally.skipped += 1
            return
        if where == "gap":
            reason = f"position {positioned.position} follows {cp.position}: a gap"
            log.error("position_gap", after=cp.position, got=positioned.position)
            tally.dead.append(
                dead_letter(POSITION_GAP, self.consumer, record, reason, positioned.position)
            )
        try:
            async with batch.isolated():
                await apply_one(batch, positioned)
            tally.applied += 1
            log.info(
                "event_applied",
                position=positioned.position,
                event_type=positioned.event.type,
                stream_id=positioned.event.stream_id,
                correlation_id=positioned.event.correlation_id,
            )
        except Exception as exc:  # one poison event must not stop the batch
            reason = f"{type(exc).__name__}: {exc}"
            log.warning(
                "dead_letter", kind=APPLY_ERROR, position=positioned.position, reason=reason
            )
            tally.dead.append(
                dead_letter(APPLY_ERROR, self.consumer, record, reason, positioned.position)
            )
        cp.position = positioned.position


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
        await writes.record_correction(positioned, before, correct(world, positioned, before))
        return True
    placement = apply(world, positioned, strict=True)
    if placement is None:
        return False
    await writes.store_events([(positioned, placement)])
    if event.occurred_at is not None:
        await writes.tighten(placement.depends_on, placement.hi)
    return True


async def _load_missing(load: Loader, world: World, wanted: list[Refs]) -> None:
    missing: Refs = {kind: set() for kind in KINDS}
    for named in wanted:
        for kind, ids in named.items():
            missing[kind] |= ids - getattr(world, kind).keys()
    found = await load(missing)
    for kind in KINDS:
        getattr(world, kind).update(getattr(found, kind))
