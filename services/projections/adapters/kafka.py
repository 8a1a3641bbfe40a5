"""Kafka clients: the group consumer (manual commits), a group-less reader for rebuilds, and
the idempotent dead-letter producer."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from services.common.kafka import client_options
from services.projections.adapters.dead_letters import DeadLetter
from services.projections.config import ProjectionsSettings


def group_consumer(settings: ProjectionsSettings) -> AIOKafkaConsumer:
    """Offsets are committed by hand, after the read model's transaction commits."""
    return AIOKafkaConsumer(
        settings.events_topic,
        **client_options(settings),
        group_id=settings.consumer_group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )


async def replay_reader(
    settings: ProjectionsSettings,
) -> tuple[AIOKafkaConsumer, list[TopicPartition]]:
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


class KafkaDeadLetterPublisher:
    """Produces a dead record to the DLQ topic: original key, value, headers + ``dlq_*``."""

    def __init__(self, settings: ProjectionsSettings) -> None:
        self._topic = settings.dlq_topic
        self._producer = AIOKafkaProducer(
            **client_options(settings), acks="all", enable_idempotence=True
        )

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def publish(self, letter: DeadLetter) -> None:
        await self._producer.send_and_wait(
            self._topic, value=letter.value, key=letter.key, headers=letter.dlq_headers()
        )
