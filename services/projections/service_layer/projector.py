"""Project one batch of Kafka records in ONE database transaction, exactly once in effect.

In the transaction: lock the pointer row (FOR SHARE, so a rebuild's switch waits for us), read
the checkpoint of the active data schema, apply each new event inside a SAVEPOINT, dead-letter
what cannot be decoded or applied, write the checkpoint (offset + position). The caller commits
the Kafka offset only after this returns. A redelivered record is at or below the checkpoint
offset (or position) and is skipped. If the batch starts past ``checkpoint offset + 1`` (the
consumer ran ahead of the database, e.g. after a rebuild switched schemas or a failed batch), the
transaction writes nothing and the caller seeks back. An active read model of an older shape
(:data:`~services.projections.adapters.schema.SHAPE`) is refused until a rebuild replaces it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from schemas.corrections import RecordsCorrected
from schemas.wire import PositionedEvent, UndecodableRecord, decode_record
from services.projections.adapters import dead_letters, store
from services.projections.adapters.dead_letters import DeadLetter, DeadLetterPublisher
from services.projections.adapters.schema import SHAPE
from services.projections.domain.fold import apply, correct, stream_doc
from services.projections.domain.model import KINDS, World
from services.projections.domain.ordering import standing
from services.projections.domain.refs import Refs, refs
from services.projections.errors import OutdatedReadModel

log = structlog.get_logger(__name__)


@dataclass
class Outcome:
    applied: int = 0
    skipped: int = 0
    dead: list[DeadLetter] = field(default_factory=list)
    seek_to: int | None = None
    last_offset: int | None = None
    position: int = 0


def letter(
    kind: str, consumer: str, record: Any, reason: str, pos: int | None = None
) -> DeadLetter:
    return DeadLetter(
        kind=kind,
        consumer=consumer,
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        reason=reason[:2000],
        position=pos,
        key=record.key,
        value=record.value,
        headers=tuple((k, bytes(v)) for k, v in record.headers or ()),
    )


class Projector:
    def __init__(
        self, engine: AsyncEngine, control: str, consumer: str, publisher: DeadLetterPublisher
    ) -> None:
        self.engine, self.control, self.consumer, self.publisher = (
            engine,
            control,
            consumer,
            publisher,
        )
        self._shapes: dict[str, int] = {}  # a data schema's shape never changes once built

    async def project(self, topic: str, partition: int, records: Sequence[Any]) -> Outcome:
        async with self.engine.begin() as conn:
            schema = await store.active_schema(conn, self.control, lock="SHARE")
            if (built := self._shapes.get(schema)) is None:
                built = self._shapes[schema] = await store.shape(conn, schema)
            if built != SHAPE:
                raise OutdatedReadModel(f"{schema} has shape {built}, not {SHAPE}: rebuild")
            cp = await store.get_checkpoint(conn, schema, topic, partition)
            out = Outcome(position=cp.position)
            if records and records[0].offset > cp.offset + 1:
                out.seek_to = cp.offset + 1
                return out
            for record in records:
                if record.offset <= cp.offset:
                    out.skipped += 1
                    continue
                await self._one(conn, schema, cp, record, out)
                cp.offset = record.offset
            await store.put_checkpoint(conn, schema, cp)
            for dead in out.dead:
                if await dead_letters.record(conn, self.control, dead) and dead.to_topic:
                    await self.publisher.publish(dead)
            out.last_offset, out.position = cp.offset, cp.position
        return out

    async def _one(
        self, conn: AsyncConnection, schema: str, cp: store.Checkpoint, record: Any, out: Outcome
    ) -> None:
        try:
            positioned = decode_record(record.key, record.value, record.headers)
        except UndecodableRecord as exc:
            log.warning("dead_letter", kind="undecodable", offset=record.offset, reason=str(exc))
            out.dead.append(letter("undecodable", self.consumer, record, str(exc)))
            return
        where = standing(cp.position, positioned.position)
        if where == "duplicate":
            out.skipped += 1
            return
        if where == "gap":
            reason = f"position {positioned.position} follows {cp.position}: a gap"
            log.error("position_gap", after=cp.position, got=positioned.position)
            out.dead.append(
                letter("position_gap", self.consumer, record, reason, positioned.position)
            )
        try:
            async with conn.begin_nested():
                await apply_one(conn, schema, positioned)
            out.applied += 1
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
                "dead_letter", kind="apply_error", position=positioned.position, reason=reason
            )
            out.dead.append(
                letter("apply_error", self.consumer, record, reason, positioned.position)
            )
        cp.position = positioned.position


async def apply_one(conn: AsyncConnection, schema: str, positioned: PositionedEvent) -> None:
    """Load what the event touches, fold it in, write the documents and the stored event (a
    correction: the corrected facts too); a dated fact tightens what it depends on."""
    touched = refs(positioned.event)
    world = await store.load(conn, schema, touched)
    await fold_into_store(conn, schema, world, positioned)
    await store.save(conn, schema, world, touched)


async def fold_into_store(
    conn: AsyncConnection, schema: str, world: World, positioned: PositionedEvent
) -> bool:
    """:func:`apply` (or :func:`correct`) ``positioned`` onto ``world`` and store its row(s);
    False for a duplicate. ``world`` must hold what :func:`refs` names; the caller saves it.
    A correction folds its stream's facts again, so what they name is loaded too."""
    event = positioned.event
    if isinstance(event, RecordsCorrected):
        doc = stream_doc(world, event.stream_id)
        if event.stream_version <= doc.version:
            return False
        before = await store.stream_facts(conn, schema, event.stream_id)
        await _load_missing(conn, schema, world, [refs(fact.event) for fact in before])
        after = correct(world, positioned, before)
        await store.record_correction(conn, schema, positioned, before, after)
        return True
    placement = apply(world, positioned, strict=True)
    if placement is None:
        return False
    await store.insert_events(conn, schema, [store.event_row(positioned, placement)])
    if event.occurred_at is not None:
        await store.tighten(conn, schema, placement.depends_on, placement.hi)
    return True


async def _load_missing(
    conn: AsyncConnection, schema: str, world: World, wanted: list[Refs]
) -> None:
    missing: Refs = {kind: set() for kind in KINDS}
    for named in wanted:
        for kind, ids in named.items():
            missing[kind] |= ids - getattr(world, kind).keys()
    found = await store.load(conn, schema, missing)
    for kind in KINDS:
        getattr(world, kind).update(getattr(found, kind))
