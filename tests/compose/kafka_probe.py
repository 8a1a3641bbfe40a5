"""What a Kafka principal may do, seen from inside a container of the compose stack.

    docker compose run --rm --no-deps -v .../kafka_probe.py:/probe/kafka_probe.py:ro \
        integrator-example python /probe/kafka_probe.py

Runs in the tools image (aiokafka and ``services.common.kafka`` are there) with the
principal's ``REMIT_KAFKA_*``; prints one JSON object: how many events it consumed in a group
of its own (committing the offset), the topics it sees, and what happened when it tried to
produce to the events topic and the DLQ and to join another principal's group ("ok" or the
error's class name).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError

from services.common.kafka import KafkaSettings, client_options

EVENTS, DLQ = "remit.events", "remit.events.dlq"
TIMEOUT_S = 30


async def consume(options: dict[str, Any], group: str, count: int) -> int:
    consumer = AIOKafkaConsumer(
        EVENTS, **options, group_id=group, auto_offset_reset="earliest", enable_auto_commit=False
    )
    try:
        await consumer.start()
        seen = 0
        while seen < count:
            batches = await consumer.getmany(timeout_ms=1000, max_records=count - seen)
            seen += sum(len(records) for records in batches.values())
        await consumer.commit()
        return seen
    finally:
        await consumer.stop()


async def produce(options: dict[str, Any], topic: str) -> None:
    producer = AIOKafkaProducer(**options, acks="all", request_timeout_ms=10_000)
    try:
        await producer.start()
        await producer.send_and_wait(topic, value=b"{}", key=b"probe")
    finally:
        await producer.stop()


async def topics(options: dict[str, Any]) -> list[str]:
    consumer = AIOKafkaConsumer(**options, group_id=None, enable_auto_commit=False)
    try:
        await consumer.start()
        return sorted(await consumer.topics())
    finally:
        await consumer.stop()


async def outcome(attempt: Awaitable[object]) -> str:
    try:
        await asyncio.wait_for(attempt, TIMEOUT_S)
    except (KafkaError, TimeoutError) as exc:
        return type(exc).__name__
    return "ok"


async def main() -> dict[str, object]:
    settings = KafkaSettings()
    options = client_options(settings)
    own_group = f"{settings.kafka_username}.compose-smoke"
    return {
        "consumed": await asyncio.wait_for(consume(options, own_group, 3), TIMEOUT_S),
        "topics": await topics(options),
        "produce_events": await outcome(produce(options, EVENTS)),
        "produce_dlq": await outcome(produce(options, DLQ)),
        "join_notifier_group": await outcome(consume(options, "remit-notifier", 1)),
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main())))
