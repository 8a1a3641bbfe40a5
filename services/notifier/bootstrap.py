"""Wire the notifier: engine, stores, senders, use cases; start and stop the background parts."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from services.notifier.adapters import db
from services.notifier.adapters.dead_letter_store import DeadLetterStore
from services.notifier.adapters.email import EmailSender
from services.notifier.adapters.job_store import JobStore
from services.notifier.adapters.kafka import (
    DeadLetterPublisher,
    dead_letter_producer,
    events_consumer,
)
from services.notifier.adapters.subscription_store import SubscriptionStore
from services.notifier.adapters.webhook import WebhookSender
from services.notifier.config import NotifierSettings
from services.notifier.domain.addresses import AllowList
from services.notifier.domain.retry import RetryPolicy
from services.notifier.entrypoints.consumer import EventConsumer
from services.notifier.entrypoints.workers import WorkerPool
from services.notifier.service_layer.delivery import Delivery
from services.notifier.service_layer.subscriptions import Subscriptions


@dataclass
class Notifier:
    settings: NotifierSettings
    engine: AsyncEngine
    http: httpx.AsyncClient
    subscriptions: Subscriptions
    delivery: Delivery
    pool: WorkerPool
    dead_letters: DeadLetterStore
    consumer: EventConsumer | None = None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _closers: list[object] = field(default_factory=list)

    async def start(self) -> None:
        await db.migrate(self.engine, self.settings.db_schema)
        if self.settings.run_workers:
            self.pool.start()
        if self.settings.run_consumer:
            await self._start_consumer()

    async def _start_consumer(self) -> None:
        s = self.settings
        kafka = events_consumer(s, s.events_topic, s.consumer_group)
        producer = dead_letter_producer(s)
        await producer.start()
        await kafka.start()
        self._closers += [kafka, producer]
        dlq = DeadLetterPublisher(producer, s.dlq_topic, s.consumer_group)
        self.consumer = EventConsumer(
            kafka, dlq, self.engine, s.db_schema, s.consumer_batch_size, self.pool.poke
        )
        self._tasks.append(asyncio.create_task(self.consumer.run(), name="notifier-consumer"))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.pool.stop()
        for client in self._closers:
            with contextlib.suppress(Exception):
                await client.stop()  # type: ignore[attr-defined]
        await self.http.aclose()
        await self.engine.dispose()


def bootstrap(settings: NotifierSettings) -> Notifier:
    engine = db.create_engine(settings)
    allow = AllowList.of(settings.webhook_allow_hosts, settings.webhook_allow_networks)
    http = httpx.AsyncClient(
        timeout=httpx.Timeout(settings.http_timeout_s),
        follow_redirects=False,
        limits=httpx.Limits(max_connections=settings.workers * 2),
        trust_env=False,
    )
    store = SubscriptionStore(engine, settings.db_schema)
    delivery = Delivery(
        jobs=JobStore(engine, settings.db_schema),
        subscriptions=store,
        webhooks=WebhookSender(http, allow, total_timeout_s=settings.http_timeout_s),
        email=EmailSender(
            settings.smtp_host, settings.smtp_port, settings.smtp_from, settings.smtp_timeout_s
        ),
        policy=RetryPolicy(
            tuple(settings.retry_schedule_s), settings.retry_jitter, settings.max_retry_after_s
        ),
        disable_after=timedelta(seconds=settings.disable_after_s),
        ops_email=settings.ops_email,
    )
    lease = timedelta(seconds=settings.http_timeout_s + settings.smtp_timeout_s + 30)
    pool = WorkerPool(
        delivery,
        settings.workers,
        settings.max_in_flight_per_subscription,
        settings.worker_poll_s,
        lease,
    )
    subs = Subscriptions(store, allow, settings.webhook_require_https)
    dead_letters = DeadLetterStore(engine, settings.db_schema, settings.consumer_group)
    return Notifier(settings, engine, http, subs, delivery, pool, dead_letters)
