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
from services.common.kafka import KafkaSettings, client_options
from services.notifier.adapters.ingest_store import DeadLetter, SourceRecord


def events_consumer(kafka: KafkaSettings, topic: str, group: str) -> AIOKafkaConsumer:
    """Offsets are committed by hand, after the batch's transaction has committed."""
    return AIOKafkaConsumer(
        topic,
        **client_options(kafka),
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )


def dead_letter_producer(kafka: KafkaSettings) -> AIOKafkaProducer:
    return AIOKafkaProducer(**client_options(kafka), acks="all", enable_idempotence=True)


def source_of(record: ConsumerRecord[bytes, bytes]) -> SourceRecord:
    headers = tuple((name, bytes(value)) for name, value in record.headers or ())
    return SourceRecord(
        record.topic, record.partition, record.offset, record.key, record.value, headers
    )


class DeadLetterPublisher:
    def __init__(self, producer: AIOKafkaProducer, topic: str, group: str) -> None:
        self.producer = producer
        self.topic = topic
        self.group = group

    async def publish(self, letter: DeadLetter) -> None:
        """Original key, value and headers, plus the DLQ_HEADER_* contract headers."""
        source = letter.source
        headers = [
            *source.headers,
            (DLQ_HEADER_REASON, letter.reason.encode()),
            (DLQ_HEADER_SOURCE_TOPIC, source.topic.encode()),
            (DLQ_HEADER_SOURCE_PARTITION, str(source.partition).encode()),
            (DLQ_HEADER_SOURCE_OFFSET, str(source.offset).encode()),
            (DLQ_HEADER_CONSUMER, self.group.encode()),
        ]
        await self.producer.send_and_wait(
            self.topic, key=source.key, value=source.value, headers=headers
        )
