"""The outbox relay: everything committed reaches Kafka, once, in position order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary
from cloudevents.core.formats.json import JSONFormat
from sqlalchemy.ext.asyncio import AsyncEngine

from infra.settings import free_ports
from schemas.envelope import DomainEvent
from schemas.wire import ce_type, decode_record
from services.common.kafka import client_options, connection
from services.registry.adapters.db import Tables
from services.registry.adapters.event_store import EventFeed
from services.registry.adapters.relay import run_relay
from services.registry.adapters.unit_of_work import SqlAlchemyUnitOfWork
from services.registry.config import RegistrySettings
from tests.integration.registry.factory import renamed
from tests.support.eventually import eventually

pytestmark = pytest.mark.integration
MakeTopic = Callable[..., Awaitable[str]]


async def _append(engine: AsyncEngine, tables: Tables, start: int, count: int) -> None:
    """``count`` single-event transactions on three streams, versions from ``start``."""
    for n in range(start, start + count):
        stream = f"organisation-s{n % 3}"
        async with SqlAlchemyUnitOfWork(engine, tables) as uow:
            version = len(await uow.events.load(stream)) + 1
            await uow.events.append([renamed(stream, version)])
            await uow.commit()


async def _consume(bootstrap: str, topic: str, count: int) -> list[ConsumerRecord[bytes, bytes]]:
    consumer = AIOKafkaConsumer(
        topic,
        **client_options(connection(bootstrap)),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    try:
        async with asyncio.timeout(60):
            while len(records) < count:
                for batch in (await consumer.getmany(timeout_ms=500)).values():
                    records.extend(batch)
        extra = await consumer.getmany(timeout_ms=500)  # nothing more than expected
        records.extend(r for batch in extra.values() for r in batch)
    finally:
        await consumer.stop()
    return records


def _positions(records: list[ConsumerRecord[bytes, bytes]]) -> list[int]:
    return [decode_record(r.key, r.value, r.headers).position for r in records]


async def _store(engine: AsyncEngine, tables: Tables) -> list[tuple[int, DomainEvent]]:
    return await EventFeed(engine, tables).read_all(after=0, limit=10_000)


@pytest.fixture
async def topic_settings(
    kafka_settings: RegistrySettings, make_topic: MakeTopic
) -> RegistrySettings:
    topic = await make_topic("remit.events.test")
    return kafka_settings.model_copy(update={"events_topic": topic})


async def _stop(stop: asyncio.Event, *relays: asyncio.Task[None]) -> None:
    stop.set()
    await asyncio.wait_for(asyncio.gather(*relays), 30)


@asynccontextmanager
async def _relaying(settings: RegistrySettings) -> AsyncIterator[None]:
    """One relay running for the block."""
    stop = asyncio.Event()
    relay = asyncio.create_task(run_relay(settings, stop))
    try:
        yield
    finally:
        await _stop(stop, relay)


async def test_relay_publishes_the_store_in_position_order(
    engine: AsyncEngine, tables: Tables, topic_settings: RegistrySettings
) -> None:
    await _append(engine, tables, 0, 30)
    async with _relaying(topic_settings):
        await _append(engine, tables, 30, 30)  # while it runs: woken by NOTIFY
        records = await _consume(topic_settings.kafka_bootstrap, topic_settings.events_topic, 60)
    stored = await _store(engine, tables)
    assert _positions(records) == [p for p, _ in stored] == list(range(1, 61))
    assert [decode_record(r.key, r.value, r.headers).event for r in records] == [
        e for _, e in stored
    ]
    assert all(r.key == e.stream_id.encode() for r, (_, e) in zip(records, stored, strict=True))


async def test_relay_survives_a_broker_outage_without_loss(
    engine: AsyncEngine, tables: Tables, topic_settings: RegistrySettings
) -> None:
    (closed_port,) = free_ports(1)
    down = topic_settings.model_copy(update={"kafka_bootstrap": f"127.0.0.1:{closed_port}"})
    async with _relaying(down):
        await _append(engine, tables, 0, 40)  # commands are accepted while Kafka is down
        # the relay still sequences them, failing to publish and backing off meanwhile
        await eventually(lambda: _store(engine, tables), lambda stored: len(stored) == 40)
    async with _relaying(topic_settings):
        await _append(engine, tables, 40, 10)
        records = await _consume(topic_settings.kafka_bootstrap, topic_settings.events_topic, 50)
    assert _positions(records) == list(range(1, 51))


async def test_two_relays_publish_each_position_once_in_order(
    engine: AsyncEngine, tables: Tables, topic_settings: RegistrySettings
) -> None:
    bootstrap, topic = topic_settings.kafka_bootstrap, topic_settings.events_topic
    stop_first, stop_second = asyncio.Event(), asyncio.Event()
    first = asyncio.create_task(run_relay(topic_settings, stop_first))
    await _append(engine, tables, 0, 20)
    await _consume(bootstrap, topic, 20)  # the first one is active
    second = asyncio.create_task(run_relay(topic_settings, stop_second))
    await _append(engine, tables, 20, 20)  # both running
    await _consume(bootstrap, topic, 40)  # published by the active one
    await _stop(stop_first, first)  # the standby takes over
    await _append(engine, tables, 40, 20)
    records = await _consume(bootstrap, topic, 60)
    await _stop(stop_second, second)
    assert _positions(records) == list(range(1, 61))


async def test_cloudevents_sdk_reads_what_the_relay_wrote(
    engine: AsyncEngine, tables: Tables, topic_settings: RegistrySettings
) -> None:
    await _append(engine, tables, 0, 3)
    async with _relaying(topic_settings):
        records = await _consume(topic_settings.kafka_bootstrap, topic_settings.events_topic, 3)
    for record, (position, event) in zip(records, await _store(engine, tables), strict=True):
        message = KafkaMessage(
            headers={name: bytes(value) for name, value in record.headers},
            key=record.key,
            value=record.value or b"",
        )
        cloud_event = from_binary(message, JSONFormat())
        assert cloud_event.get_id() == str(event.event_id)
        assert cloud_event.get_type() == ce_type(event)
        assert cloud_event.get_source() == "/remit/registry"
        assert cloud_event.get_extension("position") == str(position)
        assert cloud_event.get_data() == event.model_dump(mode="json")
