"""The consumer loop: getmany -> project the batch in one DB transaction -> commit the offset.

Failures (database or broker down) are logged and retried after a pause; the next batch then
starts past the checkpoint and the projector asks to seek back, so nothing is lost or doubled.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable
from contextlib import suppress

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import OffsetAndMetadata

from services.projections.adapters.kafka import group_consumer
from services.projections.config import ProjectionsSettings
from services.projections.entrypoints import metrics
from services.projections.service_layer.projector import Outcome, Projector

log = structlog.get_logger(__name__)


class ConsumerRunner:
    def __init__(self, settings: ProjectionsSettings, projector: Projector) -> None:
        self.settings, self.projector = settings, projector
        self._task: asyncio.Task[None] | None = None
        self.running = False
        self.on_applied: Callable[[], None] | None = None
        """Called after each committed batch (the service's readers wake their waits)."""

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="projections-consumer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def run(self) -> None:
        while True:
            consumer = group_consumer(self.settings)
            try:
                await consumer.start()
                self.running = True
                await self._loop(consumer)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("consumer_failed")
                await asyncio.sleep(self.settings.retry_backoff_s)
            finally:
                self.running = False
                await consumer.stop()

    async def _loop(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            batches = await consumer.getmany(
                timeout_ms=self.settings.poll_timeout_ms,
                max_records=self.settings.batch_max_records,
            )
            for tp, records in batches.items():
                outcome = await self.projector.project(tp.topic, tp.partition, records)
                await self._after_commit(consumer, tp, outcome)

    async def _after_commit(
        self, consumer: AIOKafkaConsumer, tp: TopicPartition, outcome: Outcome
    ) -> None:
        if outcome.seek_to is not None:
            log.info("seek_back", partition=tp.partition, offset=outcome.seek_to)
            consumer.seek(tp, outcome.seek_to)
            return
        crash_at = self.settings.projections_crash_after_db_commit
        if crash_at is not None and outcome.position >= crash_at:
            log.warning("test_crash_after_db_commit", position=outcome.position)
            os.kill(os.getpid(), signal.SIGKILL)
        if self.on_applied is not None:
            self.on_applied()
        if outcome.last_offset is not None:
            await consumer.commit({tp: OffsetAndMetadata(outcome.last_offset + 1, "")})
        metrics.POSITION.set(outcome.position)
        metrics.APPLIED.inc(outcome.applied)
        for dead in outcome.dead:
            metrics.DEAD.labels(dead.kind).inc()
        highwater = consumer.highwater(tp)
        if highwater is not None and outcome.last_offset is not None:
            metrics.LAG.labels(str(tp.partition)).set(highwater - outcome.last_offset - 1)
