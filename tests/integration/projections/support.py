"""Helpers for the projections' integration tests: topics, producing Smith events, the app."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

import httpx
from aiokafka import AIOKafkaProducer

from infra import kafka
from schemas.wire import PositionedEvent, encode
from services.common.kafka import client_options, connection
from services.projections.config import ProjectionsSettings
from services.projections.entrypoints.app import create_app
from tests.support.eventually import eventually


async def fresh_topics(bootstrap: str, prefix: str) -> tuple[str, str]:
    name = f"{prefix}.{uuid.uuid4().hex[:10]}"
    specs = [kafka.TopicSpec(name, 1, {}), kafka.TopicSpec(f"{name}.dlq", 1, {})]
    await kafka.create_topics(connection(bootstrap), specs)
    return name, f"{name}.dlq"


def settings_for(
    database_url: str, bootstrap: str, topic: str, dlq: str, **overrides: object
) -> ProjectionsSettings:
    suffix = uuid.uuid4().hex[:8]
    values: dict[str, object] = {
        "database_url": database_url,
        "kafka_bootstrap": bootstrap,
        "events_topic": topic,
        "dlq_topic": dlq,
        "consumer_group": f"projections-test-{suffix}",
        "db_schema": f"proj_{suffix}",
        "poll_timeout_ms": 100,
        "min_position_max_wait_s": 5.0,
    }
    values.update(overrides)
    return ProjectionsSettings.model_validate(values)


async def produce(
    bootstrap: str, topic: str, events: Iterable[PositionedEvent], raw: Iterable[bytes] = ()
) -> None:
    producer = AIOKafkaProducer(**client_options(connection(bootstrap)), acks="all")
    await producer.start()
    try:
        for positioned in events:
            record = encode(positioned.event, positioned.position)
            await producer.send_and_wait(
                topic, value=record.value, key=record.key, headers=list(record.headers)
            )
        for value in raw:
            await producer.send_and_wait(topic, value=value, key=b"garbage")
    finally:
        await producer.stop()


@asynccontextmanager
async def running_app(settings: ProjectionsSettings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://projections") as client:
            yield client


async def wait_position(client: httpx.AsyncClient, position: int, timeout_s: float = 30) -> None:
    async def applied() -> int:
        return int((await client.get("/readyz")).json()["position"])

    await eventually(applied, lambda reached: reached >= position, within=timeout_s)
