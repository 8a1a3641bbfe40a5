"""The consumer kit: read a batch, let the service handle it, then commit the Kafka offset.

The handler (the projections' projector, the notifier's ingest) applies a partition's batch in
ONE database transaction together with its checkpoint and its dead letters, and returns once
that has committed; only then is the offset committed. A crash in between replays the batch,
which the checkpoint makes a no-op. A handler that finds the batch starting past its checkpoint
writes nothing and asks to seek back (``Handled.seek_to``).

One recovery rule: any failure (database, broker, a bug) stops the Kafka client; after
``retry_backoff_s`` a new one starts from the committed offsets. Lag, position, events applied
and dead letters are Prometheus metrics labelled by consumer group.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, Protocol

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import OffsetAndMetadata
from prometheus_client import Counter, Gauge

from services.common.dead_letters import DeadLetter
from services.common.kafka import client_options
from services.common.settings import ConsumerSettings

log = structlog.get_logger(__name__)

LAG = Gauge(
    "remit_consumer_lag",
    "Records between the committed offset and the end of the partition",
    ["consumer", "partition"],
)
POSITION = Gauge("remit_consumer_position", "Last global position handled", ["consumer"])
APPLIED = Counter("remit_consumer_events_applied", "Events applied", ["consumer"])
DEAD = Counter(
    "remit_consumer_dead_letters", "Records dead-lettered, by kind", ["consumer", "kind"]
)


@dataclass(frozen=True)
class Handled:
    """What a handler did with one partition's batch, once its transaction committed."""

    position: int
    """The checkpoint's global position after the batch."""
    applied: int = 0
    skipped: int = 0
    dead: tuple[DeadLetter, ...] = ()
    """Dead letters this batch recorded (not those a replay had already recorded)."""
    seek_to: int | None = None
    """Set when nothing was written: read again from this offset."""


class BatchHandler(Protocol):
    async def __call__(self, topic: str, partition: int, records: Sequence[Any]) -> Handled:
        """Apply ``records`` (aiokafka ``ConsumerRecord``s, offset order) in one transaction."""
        ...


def group_consumer(settings: ConsumerSettings) -> AIOKafkaConsumer:
    """The events topic in the service's group; offsets are committed by hand only."""
    return AIOKafkaConsumer(
        settings.events_topic,
        **client_options(settings),
        group_id=settings.consumer_group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )


class Consumer:
    """Runs ``handle`` over the events topic until stopped (see the module docstring)."""

    def __init__(self, settings: ConsumerSettings, handle: BatchHandler) -> None:
        self.settings, self.handle = settings, handle
        self.polling = False
        """True while the client polls (readiness)."""
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(
            self.run(), name=f"consumer-{self.settings.consumer_group}"
        )

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def run(self) -> None:
        while True:
            client = group_consumer(self.settings)
            try:
                await client.start()
                await self._poll(client)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("consumer_failed", consumer=self.settings.consumer_group)
                await asyncio.sleep(self.settings.retry_backoff_s)
            finally:
                self.polling = False
                await client.stop()

    async def _poll(self, client: AIOKafkaConsumer) -> None:
        while True:
            batches = await client.getmany(
                timeout_ms=self.settings.poll_timeout_ms,
                max_records=self.settings.batch_max_records,
            )
            self.polling = True
            for tp, records in batches.items():
                handled = await self.handle(tp.topic, tp.partition, records)
                if handled.seek_to is not None:
                    log.info("seek_back", partition=tp.partition, offset=handled.seek_to)
                    client.seek(tp, handled.seek_to)
                    continue
                next_offset = records[-1].offset + 1
                await client.commit({tp: OffsetAndMetadata(next_offset, "")})
                self._observe(client, tp, next_offset, handled)

    def _observe(
        self, client: AIOKafkaConsumer, tp: TopicPartition, next_offset: int, handled: Handled
    ) -> None:
        group = self.settings.consumer_group
        POSITION.labels(group).set(handled.position)
        APPLIED.labels(group).inc(handled.applied)
        for letter in handled.dead:
            DEAD.labels(group, letter.kind).inc()
        if (end := client.highwater(tp)) is not None:
            LAG.labels(group, str(tp.partition)).set(max(end - next_offset, 0))
