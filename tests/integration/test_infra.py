"""The infrastructure the rest of the suite stands on: real PostgreSQL, real Kafka 4.x."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary, to_binary
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from services.common.kafka import client_options, connection

pytestmark = pytest.mark.integration

MakeTopic = Callable[..., Awaitable[str]]


async def test_postgres_answers_with_its_version(database_url: str) -> None:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            version = (await conn.execute(text("SELECT version()"))).scalar_one()
            database = (await conn.execute(text("SELECT current_database()"))).scalar_one()
    finally:
        await engine.dispose()
    assert version.startswith("PostgreSQL ")
    assert database == "remit"


async def test_remit_topics_exist(kafka_bootstrap: str, kafka_topics: tuple[str, ...]) -> None:
    """The broker lists them (not merely the fixture's names)."""
    admin = AIOKafkaAdminClient(**client_options(connection(kafka_bootstrap)))
    await admin.start()
    try:
        listed = set(await admin.list_topics())
    finally:
        await admin.close()
    assert {"remit.events", "remit.events.dlq"} <= listed


def _event() -> CloudEvent:
    attributes = {
        "id": str(uuid.uuid4()),
        "type": "remit.responsibility.transferred.v1",
        "source": "/remit/tests",
        "subject": "responsibility/42",
        "time": datetime.now(UTC),
        "datacontenttype": "application/json",
    }
    return CloudEvent(attributes=attributes, data={"stream_version": 1, "to": "body-7"})


def _consumer(bootstrap: str, topic: str, group: str) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        topic,
        **client_options(connection(bootstrap)),
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )


async def test_cloudevent_round_trip_with_manual_commit(
    kafka_bootstrap: str, make_topic: MakeTopic
) -> None:
    topic, group, sent = await make_topic("test.infra"), f"g-{uuid.uuid4().hex}", _event()
    message = to_binary(sent, JSONFormat())
    assert {"ce_id", "ce_type", "ce_source", "ce_specversion", "ce_time", "ce_subject"} <= set(
        message.headers
    )
    assert message.headers["content-type"] == b"application/json"

    producer = AIOKafkaProducer(
        **client_options(connection(kafka_bootstrap)), enable_idempotence=True, acks="all"
    )
    await producer.start()
    try:
        await producer.send_and_wait(
            topic, message.value, key=b"responsibility/42", headers=list(message.headers.items())
        )
    finally:
        await producer.stop()

    consumer = _consumer(kafka_bootstrap, topic, group)
    await consumer.start()
    try:
        record = await asyncio.wait_for(consumer.getone(), timeout=30)
        await consumer.commit()
    finally:
        await consumer.stop()

    received = from_binary(
        KafkaMessage(headers=dict(record.headers), key=record.key, value=record.value),
        JSONFormat(),
    )
    assert received.get_id() == sent.get_id()
    assert received.get_type() == sent.get_type()
    assert received.get_source() == sent.get_source()
    assert received.get_subject() == "responsibility/42"
    assert received.get_time() == sent.get_time()
    assert received.get_data() == {"stream_version": 1, "to": "body-7"}

    again = _consumer(kafka_bootstrap, topic, group)
    await again.start()
    try:
        batches = await again.getmany(timeout_ms=3000)
        partition = TopicPartition(topic, 0)
        assert again.assignment() == {partition}
        position = await again.position(partition)
    finally:
        await again.stop()
    assert batches == {}, "the committed record was delivered again"
    assert position == 1
