"""Reading the events topic from its beginning: no group, every partition, large fetches.

The projections' rebuild replays the topic into a new read model; the notifier replays it to
rebuild its knowledge. (The live consumer is :mod:`services.common.consumer`.)
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, TopicPartition

from services.common.kafka import client_options
from services.common.settings import ServiceSettings


class ReplaySource(Protocol):
    def until_end(self) -> AsyncIterator[Sequence[Any]]:
        """Batches of records (aiokafka ``ConsumerRecord``s) up to the end offsets as they are
        when iteration starts, continuing where the previous call stopped."""
        ...


async def replay_reader(settings: ServiceSettings) -> tuple[AIOKafkaConsumer, list[TopicPartition]]:
    """A started consumer without a group, assigned every partition, at the beginning.

    It reads a whole topic as fast as it can, so it asks for large fetches (16 MiB per
    partition: about ten thousand events per round trip instead of the default's ~800).
    """
    consumer = AIOKafkaConsumer(
        **client_options(settings),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        max_partition_fetch_bytes=16 << 20,
        fetch_max_bytes=64 << 20,
    )
    await consumer.start()
    first = TopicPartition(settings.events_topic, 0)
    consumer.assign([first])  # makes the client fetch the topic's metadata
    await consumer.seek_to_beginning(first)
    partitions = consumer.partitions_for_topic(settings.events_topic)
    for _ in range(50):
        if partitions:
            break
        await asyncio.sleep(0.1)
        partitions = consumer.partitions_for_topic(settings.events_topic)
    assigned = [TopicPartition(settings.events_topic, p) for p in sorted(partitions or {0})]
    consumer.assign(assigned)
    await consumer.seek_to_beginning(*assigned)
    return consumer, assigned


MAX_RECORDS = 20_000
"""Records per ``getmany``: one fetch response's worth (see :func:`replay_reader`)."""


class KafkaReplaySource:
    """The topic from its beginning, read by :func:`replay_reader` (``async with``)."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self._consumer: AIOKafkaConsumer | None = None
        self._partitions: list[TopicPartition] = []

    async def __aenter__(self) -> KafkaReplaySource:
        self._consumer, self._partitions = await replay_reader(self.settings)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._consumer is not None:
            await self._consumer.stop()

    async def until_end(self) -> AsyncIterator[Sequence[Any]]:
        consumer = self._consumer
        assert consumer is not None, "use the source inside 'async with'"
        ends = await consumer.end_offsets(self._partitions)
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            batches = await consumer.getmany(timeout_ms=1000, max_records=MAX_RECORDS)
            for records in batches.values():
                yield records
