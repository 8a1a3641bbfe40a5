"""A running notifier per test: its own schema, topic and consumer group; real PG and Kafka."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from fastapi import FastAPI

from schemas.wire import PositionedEvent, encode
from services.common.auth import issue_token
from services.common.kafka import client_options, connection
from services.notifier.config import NotifierSettings
from services.notifier.entrypoints.app import create_app
from tests.integration.notifier.support import Receiver, SmtpSink

pytestmark = pytest.mark.integration


@dataclass
class Harness:
    settings: NotifierSettings
    api: httpx.AsyncClient
    producer: AIOKafkaProducer
    topic: str
    app: FastAPI

    async def claimable(self) -> tuple[int, int]:
        """(claimed, left) of a claim made now: ``(0, 0)`` when no job may be sent."""
        jobs = self.app.state.notifier.pool.delivery.jobs
        claimed, left = await jobs.claim_some(datetime.now(UTC), timedelta(seconds=1), 100, 100)
        return len(claimed), left

    def token(self, org: str | None, *scopes: str) -> dict[str, str]:
        scopes = scopes or ("subscriptions:write",)
        jwt = issue_token(self.settings, f"user-of-{org}", scopes, org)
        return {"authorization": f"Bearer {jwt}"}

    async def subscribe(self, org: str, **body: Any) -> dict[str, Any]:
        """Subscribe ``org`` (before the events that register it are published, hence
        ``await_registration`` unless the test says otherwise)."""
        body.setdefault("await_registration", True)
        response = await self.api.post("/v1/subscriptions", json=body, headers=self.token(org))
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def webhook(self, org: str, url: str, *event_types: str) -> dict[str, Any]:
        """Subscribe ``org``'s webhook at ``url`` to ``event_types`` (none: to everything)."""
        return await self.subscribe(org, channel="webhook", url=url, event_types=list(event_types))

    async def dlq_records(self) -> list[ConsumerRecord[bytes, bytes]]:
        """The records on the DLQ topic, from its start (what a fetch of up to 5 s brings)."""
        reader = AIOKafkaConsumer(
            self.settings.dlq_topic,
            **client_options(self.settings),
            auto_offset_reset="earliest",
            group_id=None,
        )
        await reader.start()
        try:
            batches = await reader.getmany(timeout_ms=5000)
            return [r for records in batches.values() for r in records]
        finally:
            await reader.stop()

    async def publish(self, events: Iterable[PositionedEvent]) -> None:
        for pe in events:
            record = encode(pe.event, pe.position)
            await self.producer.send(
                self.topic, key=record.key, value=record.value, headers=list(record.headers)
            )
        await self.producer.flush()


def make_settings(
    database_url: str, kafka_bootstrap: str, topic: str, smtp_port: int, **overrides: Any
) -> NotifierSettings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "db_schema": f"notifier_{uuid.uuid4().hex[:10]}",
        "kafka_bootstrap": kafka_bootstrap,
        "events_topic": topic,
        "consumer_group": f"remit-notifier-{uuid.uuid4().hex[:8]}",
        "smtp_port": smtp_port,
        "retry_schedule_s": (0.2, 0.2, 0.2, 0.2),
        "retry_jitter": 0.0,
        "http_timeout_s": 5.0,
        "worker_poll_s": 0.05,
        "workers": 8,
        "webhook_allow_hosts": ["127.0.0.1"],
        "ops_email": "ops@remit.test",
    }
    return NotifierSettings(**{**values, **overrides})


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    server = await Receiver().start()
    yield server
    await server.stop()


@pytest.fixture
def smtp() -> Any:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


StartNotifier = Callable[..., Awaitable[Harness]]


@pytest.fixture
async def notifier(
    database_url: str, kafka_bootstrap: str, make_topic: Any, smtp: SmtpSink
) -> AsyncIterator[Callable[..., Any]]:
    """``async with notifier(**setting_overrides) as h:`` runs one notifier app in-process."""

    @asynccontextmanager
    async def run(**overrides: Any) -> AsyncIterator[Harness]:
        topic = await make_topic("notifier")
        overrides.setdefault("dlq_topic", await make_topic("notifier-dlq"))
        settings = make_settings(database_url, kafka_bootstrap, topic, smtp.port, **overrides)
        app = create_app(settings)
        producer = AIOKafkaProducer(**client_options(connection(kafka_bootstrap)), acks="all")
        await producer.start()
        try:
            async with app.router.lifespan_context(app):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://n") as api:
                    yield Harness(settings, api, producer, topic, app)
        finally:
            await producer.stop()

    yield run
