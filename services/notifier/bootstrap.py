"""Wiring of the notifier: engine, stores, senders, use cases, consumer and delivery workers."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.consumer import Consumer
from services.common.dead_letters import (
    DeadLetterSink,
    DeadLetterStore,
    KafkaDeadLetterPublisher,
)
from services.common.replay import KafkaReplaySource
from services.notifier.adapters.alert_context import PostgresAlertContexts
from services.notifier.adapters.db import create_engine
from services.notifier.adapters.email import SmtpSender
from services.notifier.adapters.ingest_store import PostgresIngestStore
from services.notifier.adapters.job_store import PostgresJobStore
from services.notifier.adapters.secret_box import SecretBox
from services.notifier.adapters.subscription_store import PostgresSubscriptionStore
from services.notifier.adapters.webhook import HttpWebhookSender, check_target
from services.notifier.config import NotifierSettings
from services.notifier.domain.addresses import AllowList
from services.notifier.domain.retry import RetryPolicy
from services.notifier.migrations import migrate
from services.notifier.service_layer.delivery import Delivery
from services.notifier.service_layer.ingest import Ingest
from services.notifier.service_layer.knowledge_rebuild import rebuild_knowledge
from services.notifier.service_layer.subscriptions import Subscriptions
from services.notifier.service_layer.workers import WorkerPool


@dataclass
class Notifier:
    settings: NotifierSettings
    engine: AsyncEngine
    http: httpx.AsyncClient
    subscriptions: Subscriptions
    pool: WorkerPool
    dead_letters: DeadLetterStore
    publisher: KafkaDeadLetterPublisher
    ingest_store: PostgresIngestStore
    consumer: Consumer

    async def start(self) -> None:
        s = self.settings
        await migrate(s.database_dsn, s.db_schema, s.consumer_group, s.encryption_keys)
        if s.run_workers:
            self.pool.start()
        if s.run_consumer:
            if await self.ingest_store.knowledge_to_rebuild() is not None:
                async with KafkaReplaySource(s) as source:
                    await rebuild_knowledge(self.ingest_store, source)
            await self.publisher.start()
            self.consumer.start()

    async def close(self) -> None:
        stops = (self.consumer.stop, self.pool.stop, self.publisher.stop)
        for stop in (*stops, self.http.aclose, self.engine.dispose):
            await stop()


def bootstrap(settings: NotifierSettings) -> Notifier:
    engine = create_engine(settings)
    allow = AllowList.of(settings.webhook_allow_hosts, settings.webhook_allow_networks)
    http = httpx.AsyncClient(
        timeout=httpx.Timeout(settings.http_timeout_s),
        follow_redirects=False,
        limits=httpx.Limits(max_connections=settings.workers * 2),
        trust_env=False,
    )
    box = SecretBox(settings.encryption_keys)
    subscriptions = PostgresSubscriptionStore(engine, settings.db_schema, box)
    delivery = Delivery(
        jobs=PostgresJobStore(engine, settings.db_schema, box),
        subscriptions=subscriptions,
        webhooks=HttpWebhookSender(http, allow, total_timeout_s=settings.http_timeout_s),
        email=SmtpSender(
            settings.smtp_host, settings.smtp_port, settings.smtp_from, settings.smtp_timeout_s
        ),
        policy=RetryPolicy(
            tuple(settings.retry_schedule_s), settings.retry_jitter, settings.max_retry_after_s
        ),
        disable_after=timedelta(seconds=settings.disable_after_s),
        ops_email=settings.ops_email,
        contexts=PostgresAlertContexts(engine, settings.db_schema),
        pages_base_url=settings.pages_base_url,
    )
    lease = timedelta(seconds=settings.http_timeout_s + settings.smtp_timeout_s + 30)
    pool = WorkerPool(
        delivery,
        settings.workers,
        settings.max_in_flight_per_subscription,
        settings.worker_poll_s,
        lease,
    )
    dead_letters = DeadLetterStore(engine, settings.db_schema, settings.consumer_group)
    publisher = KafkaDeadLetterPublisher(settings, settings.dlq_topic)
    store = PostgresIngestStore(
        engine,
        settings.db_schema,
        DeadLetterSink(dead_letters, publisher),
        settings.knowledge_cache_streams,
    )
    ingest = Ingest(store, settings.consumer_group, on_jobs=pool.poke)
    return Notifier(
        settings=settings,
        engine=engine,
        http=http,
        subscriptions=Subscriptions(
            subscriptions,
            functools.partial(check_target, allow=allow),
            settings.webhook_require_https,
            settings.min_position_max_wait_s,
            settings.min_position_poll_s,
        ),
        pool=pool,
        dead_letters=dead_letters,
        publisher=publisher,
        ingest_store=store,
        consumer=Consumer(settings, ingest),
    )
