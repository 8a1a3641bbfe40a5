"""Exactly-once effect across a crash between DB commit and offset commit; poison records."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from contextlib import suppress
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from schemas.wire import DLQ_HEADER_REASON, DLQ_HEADER_SOURCE_OFFSET
from services.common.auth import issue_token
from services.common.consumer import Consumer, Handled
from services.common.kafka import client_options, connection
from services.projections.bootstrap import bootstrap, checksum, rebuild
from services.projections.config import ProjectionsSettings
from tests.integration.projections.support import (
    fresh_topics,
    produce,
    running_app,
    settings_for,
    wait_position,
)
from tests.support.eventually import eventually
from tests.support.smith import smith_events

pytestmark = pytest.mark.integration


async def _db_state(settings: ProjectionsSettings, schema: str) -> tuple[int, int, int]:
    engine = create_async_engine(settings.database_dsn)
    try:
        async with engine.connect() as conn:
            offset, position = (
                await conn.execute(text(f"SELECT kafka_offset, position FROM {schema}.checkpoint"))
            ).one()
            count = (await conn.execute(text(f"SELECT count(*) FROM {schema}.events"))).scalar()
            return int(offset), int(position), int(count or 0)
    finally:
        await engine.dispose()


async def _committed(settings: ProjectionsSettings) -> int:
    admin = AIOKafkaAdminClient(**client_options(settings))
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(settings.consumer_group)
    finally:
        await admin.close()
    found = offsets.get(TopicPartition(settings.events_topic, 0))
    return found.offset if found else -1


class Killed(BaseException):
    """The process dies: nothing after it runs (the consumer kit catches only ``Exception``)."""


async def test_crash_between_db_commit_and_offset_commit(
    database_url: str, kafka_bootstrap: str
) -> None:
    events = list(smith_events())
    topic, dlq = await fresh_topics(kafka_bootstrap, "proj-crash")
    await produce(kafka_bootstrap, topic, events)
    settings = settings_for(database_url, kafka_bootstrap, topic, dlq, batch_max_records=10)
    schema = f"{settings.db_schema}_v1"
    wired = bootstrap(settings)
    await wired.start(run_consumer=False)
    project = wired.consumer.handle

    async def dies_after_the_db_commit(
        topic: str, partition: int, records: Sequence[Any]
    ) -> Handled:
        handled = await project(topic, partition, records)
        if handled.position >= 25:
            raise Killed  # after the batch's transaction, before its offset commit
        return handled

    try:
        with pytest.raises(Killed):
            await asyncio.wait_for(Consumer(settings, dies_after_the_db_commit).run(), 60)
        offset, position, count = await _db_state(settings, schema)
        assert position >= 25 and count == position
        assert await _committed(settings) < offset + 1  # the DB is ahead of Kafka's offset
        restarted = asyncio.create_task(Consumer(settings, project).run())
        try:
            await eventually(lambda: _db_state(settings, schema), lambda s: s[1] == len(events))
        finally:
            restarted.cancel()
            with suppress(asyncio.CancelledError):
                await restarted
    finally:
        await wired.close()
    offset, position, count = await _db_state(settings, schema)
    assert (position, count) == (len(events), len(events))  # each event stored once
    live = await checksum(settings)
    assert await rebuild(settings) == f"{settings.db_schema}_v2"
    assert await checksum(settings) == live
    assert await checksum(settings, schema) == live


async def test_poison_record_is_dead_lettered_and_the_rest_projected(
    database_url: str, kafka_bootstrap: str
) -> None:
    events = list(smith_events())
    topic, dlq = await fresh_topics(kafka_bootstrap, "proj-poison")
    await produce(kafka_bootstrap, topic, events[:30], raw=[b"{not json"])
    await produce(kafka_bootstrap, topic, events[30:])
    settings = settings_for(database_url, kafka_bootstrap, topic, dlq)
    admin = {"Authorization": f"Bearer {issue_token(settings, 'ops', ['admin'])}"}
    async with running_app(settings) as client:
        await wait_position(client, len(events))
        summary = (await client.get("/v1/reviews/smith-review/summary")).json()
        assert summary["degraded"] is True and summary["by_response"]["not_implement"] == 1
        assert (await client.get("/readyz")).status_code == 503
        assert (await client.get("/v1/dead-letters")).status_code == 401
        listed = (await client.get("/v1/dead-letters", headers=admin)).json()
        (dead,) = listed["items"]
        assert dead["kind"] == "undecodable" and dead["source_offset"] == 30
        acked = await client.post(f"/v1/dead-letters/{dead['id']}/acknowledge", headers=admin)
        assert acked.json()["degraded"] is False
        assert (await client.get("/readyz")).status_code == 200
    consumer = AIOKafkaConsumer(
        dlq, **client_options(connection(kafka_bootstrap)), auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        record = await asyncio.wait_for(consumer.getone(), 10)
    finally:
        await consumer.stop()
    headers = dict(record.headers)
    assert record.value == b"{not json"
    assert headers[DLQ_HEADER_SOURCE_OFFSET] == b"30"
    assert headers[DLQ_HEADER_REASON]
