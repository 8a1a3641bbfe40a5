"""The events consumer: decode, dead-letter what cannot be decoded, ingest, then commit.

At-least-once: the Kafka offset is committed only after the batch's jobs, knowledge, dead
letters and checkpoint are committed in PostgreSQL. A crash in between replays the batch; the
checkpoint makes the replay a no-op. An event that cannot be ingested is dead-lettered by
:func:`ingest` (its own savepoint), so it cannot hold the batch, or the alerts after it, back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas.wire import UndecodableRecord, decode_record
from services.notifier.adapters.ingest_store import DeadLetter
from services.notifier.adapters.kafka import DeadLetterPublisher, source_of
from services.notifier.domain.resolution import resolve
from services.notifier.entrypoints import metrics
from services.notifier.service_layer.ingest import Consumed, Resolver, ingest

log = structlog.get_logger(__name__)


class EventConsumer:
    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        dlq: DeadLetterPublisher,
        engine: AsyncEngine,
        schema: str,
        batch_size: int,
        on_jobs: Callable[[], None],
        resolver: Resolver = resolve,
    ) -> None:
        self.consumer = consumer
        self.dlq = dlq
        self.engine = engine
        self.schema = schema
        self.batch_size = batch_size
        self.on_jobs = on_jobs
        self.resolver = resolver
        self.ready = False
        self.next_offsets: dict[TopicPartition, int] = {}

    async def run(self) -> None:
        while True:
            try:
                batches = await self.consumer.getmany(timeout_ms=500, max_records=self.batch_size)
                self.ready = True
                for tp, records in batches.items():
                    await self.handle(tp, records)
                self._lag()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("consumer_batch_failed")
                await asyncio.sleep(1.0)
                await self._rewind()

    async def handle(self, tp: TopicPartition, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        batch: list[Consumed] = []
        dead: list[DeadLetter] = []
        for record in records:
            source = source_of(record)
            try:
                batch.append(
                    Consumed(decode_record(record.key, record.value, record.headers), source)
                )
            except UndecodableRecord as exc:
                dead.append(DeadLetter("undecodable", source, str(exc)))
                log.warning(
                    "dead_letter", kind="undecodable", offset=record.offset, reason=str(exc)
                )
        result = await ingest(
            self.engine, self.schema, batch, dead, publisher=self.dlq, resolver=self.resolver
        )
        await self.consumer.commit({tp: records[-1].offset + 1})
        self.next_offsets[tp] = records[-1].offset + 1
        for letter in result.dead:
            metrics.DEAD_LETTERS.labels(letter.kind).inc()
        metrics.JOBS_CREATED.inc(result.jobs)
        metrics.CHECKPOINT.set(result.checkpoint)
        if result.jobs:
            self.on_jobs()

    async def _rewind(self) -> None:
        """After a failed batch, go back to the last committed offset (replay, not skip)."""
        for tp in self.consumer.assignment():
            committed = await self.consumer.committed(tp)
            if committed is None:
                await self.consumer.seek_to_beginning(tp)
            else:
                self.consumer.seek(tp, committed)

    def _lag(self) -> None:
        lag = 0
        for tp in self.consumer.assignment():
            high = self.consumer.highwater(tp)
            if high is not None and tp in self.next_offsets:
                lag += max(high - self.next_offsets[tp], 0)
        metrics.CONSUMER_LAG.set(lag)
