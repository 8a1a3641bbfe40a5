"""Rebuild the read model from the topic's beginning into a fresh data schema, then switch.

1. Create ``<control>_v<n+1>``; read the topic from offset 0 with a group-less consumer.
2. Fold events in memory (the same :func:`apply` as the live consumer, same ordering and
   dead-letter rules) and bulk-load (COPY) events and checkpoint every ``rebuild_batch_size``
   events, one transaction per chunk; once caught up, COPY every document once.
3. Once caught up with the end offsets, lock the pointer row FOR UPDATE (the live consumer's
   batches take it FOR SHARE, so they wait), drain what arrived meanwhile, flush (documents
   changed since: upserted), and point readers at the new schema in the same transaction.
   Readers read the pointer per request, so they keep answering from the old schema until
   that commit and from the new one after it.
4. Drop versions older than the previous one (kept for a quick switch back).
The live consumer notices the switch by itself: its next batch starts past the new checkpoint's
offset or at/below it, so it skips or seeks back (see :mod:`projector`).

The world grows to millions of objects that live until the end, and folding makes no cyclic
garbage: automatic collections are off while rebuilding (they walked the world again and
again: a quarter of the rebuild's time, still a tenth once it was frozen). After each flush,
the young generation is collected once and everything alive is frozen out of the collector's
sight (``gc.freeze``); ``gc.unfreeze`` at the end hands it back.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from schemas.corrections import RecordsCorrected
from schemas.wire import PositionedEvent, UndecodableRecord, decode_record_fast
from services.projections.adapters import bulk, dead_letters, store
from services.projections.adapters.dead_letters import DeadLetter, DeadLetterPublisher
from services.projections.adapters.kafka import replay_reader
from services.projections.adapters.schema import data_ddl, execute_all
from services.projections.config import ProjectionsSettings
from services.projections.domain.fold import Placement, apply_isolated
from services.projections.domain.model import KINDS, World
from services.projections.domain.ordering import standing
from services.projections.domain.refs import Refs, refs
from services.projections.service_layer.projector import fold_into_store, letter

log = structlog.get_logger(__name__)
_MAX_RECORDS = 20_000
"""Records per ``getmany``: one fetch response's worth (see :func:`replay_reader`)."""


@dataclass
class _Replay:
    world: World = field(default_factory=World)
    dirty: Refs = field(default_factory=lambda: {k: set() for k in KINDS})
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    dated: list[Placement] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)
    checkpoints: dict[int, store.Checkpoint] = field(default_factory=dict)
    total: int = 0
    documents_loaded: bool = False


def _decode(replay: _Replay, record: Any, consumer: str) -> PositionedEvent | None:
    """The record's event if it is to be applied (checkpoint moved, dead letters noted)."""
    cp = replay.checkpoints.setdefault(
        record.partition, store.Checkpoint(record.topic, record.partition)
    )
    cp.offset = record.offset
    try:
        positioned = decode_record_fast(record.key, record.value, record.headers)
    except UndecodableRecord as exc:
        replay.dead.append(letter("undecodable", consumer, record, str(exc)))
        return None
    where = standing(cp.position, positioned.position)
    if where == "duplicate":
        return None
    if where == "gap":
        reason = f"position {positioned.position} follows {cp.position}: a gap"
        replay.dead.append(letter("position_gap", consumer, record, reason, positioned.position))
    cp.position = positioned.position
    return positioned


def _fold_record(replay: _Replay, record: Any, positioned: PositionedEvent, consumer: str) -> None:
    try:
        placement = apply_isolated(replay.world, positioned, strict=True)
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"
        replay.dead.append(letter("apply_error", consumer, record, reason, positioned.position))
        return
    if placement is None:
        return
    _touched(replay, positioned)
    replay.rows.append(store.event_row(positioned, placement))
    if positioned.event.occurred_at is not None:
        replay.dated.append(placement)
    replay.total += 1


def _touched(replay: _Replay, positioned: PositionedEvent) -> None:
    if replay.documents_loaded:  # before that, every document is loaded at once
        for kind, ids in refs(positioned.event).items():
            replay.dirty[kind] |= ids


async def _correct(
    conn: AsyncConnection,
    schema: str,
    replay: _Replay,
    record: Any,
    positioned: PositionedEvent,
    consumer: str,
) -> None:
    """A correction reads its stream's facts back from the store: everything folded before it
    is stored first (the caller flushed), in the same transaction as the correction."""
    try:
        async with conn.begin_nested():
            await fold_into_store(conn, schema, replay.world, positioned)
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"
        replay.dead.append(letter("apply_error", consumer, record, reason, positioned.position))
        return
    _touched(replay, positioned)
    replay.total += 1


async def _flush(
    conn: AsyncConnection,
    schema: str,
    control: str,
    replay: _Replay,
    publisher: DeadLetterPublisher,
    documents: bool = False,
) -> None:
    """Store the events folded since the last flush (and the documents, when ``documents``:
    the first time all of them by COPY, later those changed since, upserted)."""
    for cp in replay.checkpoints.values():
        await store.put_checkpoint(conn, schema, cp)
    await bulk.copy_events(conn, schema, replay.rows)
    for placement in replay.dated:
        await store.tighten(conn, schema, placement.depends_on, placement.hi)
    for dead in replay.dead:
        if await dead_letters.record(conn, control, dead) and dead.to_topic:
            await publisher.publish(dead)
    replay.rows, replay.dated, replay.dead = [], [], []
    if not documents:
        return
    if replay.documents_loaded:
        await store.save(conn, schema, replay.world, replay.dirty)
    else:
        for kind in KINDS:
            await bulk.copy_documents(conn, schema, kind, getattr(replay.world, kind).values())
        replay.documents_loaded = True
    replay.dirty = {k: set() for k in KINDS}


async def _read_until(
    consumer: AIOKafkaConsumer,
    ends: dict[TopicPartition, int],
    replay: _Replay,
    settings: ProjectionsSettings,
    flush: Any,
    correct: Any,
) -> None:
    name = f"{settings.consumer_group}:rebuild"
    while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
        batches = await consumer.getmany(timeout_ms=1000, max_records=_MAX_RECORDS)
        for records in batches.values():
            for record in records:
                positioned = _decode(replay, record, name)
                if positioned is None:
                    continue
                if isinstance(positioned.event, RecordsCorrected):
                    await correct(record, positioned, name)
                else:
                    _fold_record(replay, record, positioned, name)
        if len(replay.rows) >= settings.rebuild_batch_size and flush is not None:
            await flush()


async def rebuild(
    settings: ProjectionsSettings, engine: AsyncEngine, publisher: DeadLetterPublisher
) -> str:
    """Rebuild into a new data schema and switch readers to it; return its name."""
    control = settings.db_schema
    await store.ensure(engine, control)
    async with engine.begin() as conn:
        row = (await conn.execute(text(f"SELECT version FROM {control}.active"))).one()
        version = int(row[0]) + 1
        schema = f"{control}_v{version}"
        await conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        await execute_all(conn, data_ddl(schema))
    replay = _Replay()

    async def flush(documents: bool = False) -> None:
        async with engine.begin() as conn:
            await _flush(conn, schema, control, replay, publisher, documents)
        gc.collect(0)  # the cyclic garbage made since the last flush (drivers, asyncio)
        gc.freeze()

    async def correct(record: Any, positioned: PositionedEvent, name: str) -> None:
        async with engine.begin() as conn:
            await _flush(conn, schema, control, replay, publisher)
            await _correct(conn, schema, replay, record, positioned, name)

    consumer, partitions = await replay_reader(settings)
    collecting = gc.isenabled()
    gc.disable()
    try:
        ends = await consumer.end_offsets(partitions)
        await _read_until(consumer, ends, replay, settings, flush, correct)
        await flush(documents=True)
        async with engine.begin() as conn:
            previous = await store.active_schema(conn, control, lock="UPDATE")
            ends = await consumer.end_offsets(partitions)

            async def correct_here(record: Any, positioned: PositionedEvent, name: str) -> None:
                await _flush(conn, schema, control, replay, publisher)
                await _correct(conn, schema, replay, record, positioned, name)

            await _read_until(consumer, ends, replay, settings, None, correct_here)
            await _flush(conn, schema, control, replay, publisher, documents=True)
            await conn.execute(
                text(
                    f"UPDATE {control}.active SET data_schema = :s, version = :v, "
                    "switched_at = now()"
                ),
                {"s": schema, "v": version},
            )
    finally:
        gc.unfreeze()
        if collecting:
            gc.enable()
        await consumer.stop()
    await _drop_older(engine, control, version, previous)
    log.info("rebuilt", schema=schema, events=replay.total)
    return schema


async def _drop_older(engine: AsyncEngine, control: str, version: int, keep: str) -> None:
    async with engine.begin() as conn:
        rows = await conn.execute(
            text("SELECT nspname FROM pg_namespace WHERE nspname LIKE :p"),
            {"p": f"{control}\\_v%"},
        )
        for (name,) in rows.all():
            suffix = name.removeprefix(f"{control}_v")
            if suffix.isdigit() and int(suffix) < version and name != keep:
                await conn.execute(text(f"DROP SCHEMA {name} CASCADE"))
