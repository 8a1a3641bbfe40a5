"""Kafka clients: the events consumer (manual commits) and the dead-letter producer."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord

from schemas.wire import (
    DLQ_HEADER_CONSUMER,
    DLQ_HEADER_REASON,
    DLQ_HEADER_SOURCE_OFFSET,
    DLQ_HEADER_SOURCE_PARTITION,
    DLQ_HEADER_SOURCE_TOPIC,
)


def events_consumer(bootstrap: str, topic: str, group: str) -> AIOKafkaConsumer:
    """Offsets are committed by hand, after the batch's transaction has committed."""
    return AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )


def dead_letter_producer(bootstrap: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)


class DeadLetterPublisher:
    def __init__(self, producer: AIOKafkaProducer, topic: str, group: str) -> None:
        self.producer = producer
        self.topic = topic
        self.group = group

    async def publish(self, record: ConsumerRecord[bytes, bytes], reason: str) -> None:
        """Original key, value and headers, plus the DLQ_HEADER_* contract headers."""
        headers = [(name, bytes(value)) for name, value in record.headers or ()]
        headers += [
            (DLQ_HEADER_REASON, reason.encode()),
            (DLQ_HEADER_SOURCE_TOPIC, record.topic.encode()),
            (DLQ_HEADER_SOURCE_PARTITION, str(record.partition).encode()),
            (DLQ_HEADER_SOURCE_OFFSET, str(record.offset).encode()),
            (DLQ_HEADER_CONSUMER, self.group.encode()),
        ]
        await self.producer.send_and_wait(
            self.topic, key=record.key, value=record.value, headers=headers
        )
