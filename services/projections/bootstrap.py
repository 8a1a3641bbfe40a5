"""Wiring of the projections: settings -> engines, dead letters, read model, consumer, readers;
and the one-shot tasks (migrate, rebuild, checksum) the command line runs."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.common.consumer import Consumer
from services.common.dead_letters import (
    DeadLetterSink,
    DeadLetterStore,
    KafkaDeadLetterPublisher,
)
from services.common.replay import KafkaReplaySource
from services.projections.adapters import store
from services.projections.adapters.page_reads import PostgresPageReads
from services.projections.adapters.read_model import PostgresReadModelStore
from services.projections.adapters.rebuild_target import PostgresRebuildTarget
from services.projections.adapters.snapshots import PostgresReadStore
from services.projections.config import ProjectionsSettings
from services.projections.service_layer import rebuild as rebuilding
from services.projections.service_layer.pages import PageReadsOf
from services.projections.service_layer.projector import Projector
from services.projections.service_layer.queries import Reader


@dataclass
class Projections:
    settings: ProjectionsSettings
    engine: AsyncEngine
    readers_engine: AsyncEngine
    dead_letters: DeadLetterStore
    publisher: KafkaDeadLetterPublisher
    consumer: Consumer
    reader: Reader
    page_reads: PageReadsOf = PostgresPageReads
    """The pages' reads beyond the views, over one of ``reader``'s snapshots."""

    async def start(self, run_consumer: bool | None = None) -> None:
        """Migrate, then run the consumer (unless ``run_consumer``, by default the setting,
        says not to)."""
        await store.ensure(self.engine, self.settings.db_schema)
        await self.publisher.start()
        if self.settings.run_consumer if run_consumer is None else run_consumer:
            self.consumer.start()

    async def close(self) -> None:
        stops = (self.consumer.stop, self.publisher.stop, self.reader.close)
        for stop in (*stops, self.readers_engine.dispose, self.engine.dispose):
            await stop()


def bootstrap(settings: ProjectionsSettings) -> Projections:
    # No pre-ping (a round trip per batch): after a database restart the first batch fails on
    # its dead connection, the consumer retries, and the pool hands out a new one.
    engine = create_async_engine(
        settings.database_dsn, pool_size=settings.db_pool_size, pool_pre_ping=False
    )
    # Readers get a pool of their own: without pre-ping (a round trip on every checkout, as
    # much as the head read of a kept answer; a connection found dead fails its request and is
    # discarded) and without overflow (under load, overflow connections were opened and closed
    # per request: requests wait for a pooled one instead).
    readers = create_async_engine(
        settings.database_dsn, pool_size=settings.db_pool_size, max_overflow=0, pool_pre_ping=False
    )
    reader = Reader(
        PostgresReadStore(readers, settings.db_schema, keep_head_connection=True),
        settings.min_position_max_wait_s,
        settings.min_position_poll_s,
    )
    publisher = KafkaDeadLetterPublisher(settings, settings.dlq_topic)
    dead_letters = DeadLetterStore(engine, settings.db_schema, settings.consumer_group)
    sink = DeadLetterSink(dead_letters, publisher)
    read_model = PostgresReadModelStore(engine, settings.db_schema, sink)
    projector = Projector(read_model, settings.consumer_group, on_applied=reader.advanced)
    consumer = Consumer(settings, projector)
    return Projections(settings, engine, readers, dead_letters, publisher, consumer, reader)


async def migrate(settings: ProjectionsSettings) -> str:
    """Migrate the control schema, create a first (empty) data schema if there is none; return
    the active one."""
    engine = create_async_engine(settings.database_dsn)
    try:
        return await store.ensure(engine, settings.db_schema)
    finally:
        await engine.dispose()


async def rebuild(settings: ProjectionsSettings) -> str:
    """Rebuild the read model from the topic into a new schema and switch readers to it."""
    engine = create_async_engine(settings.database_dsn)
    publisher = KafkaDeadLetterPublisher(settings, settings.dlq_topic)
    consumer = f"{settings.consumer_group}:rebuild"
    dead_letters = DeadLetterSink(DeadLetterStore(engine, settings.db_schema, consumer), publisher)
    target = PostgresRebuildTarget(engine, settings.db_schema, dead_letters)
    await publisher.start()
    try:
        await store.ensure(engine, settings.db_schema)
        async with KafkaReplaySource(settings) as source:
            return await rebuilding.rebuild(target, source, consumer, settings.rebuild_batch_size)
    finally:
        await publisher.stop()
        await engine.dispose()


async def checksum(settings: ProjectionsSettings, schema: str | None = None) -> str:
    """Deterministic hash of the active read model (or of ``schema``)."""
    engine = create_async_engine(settings.database_dsn)
    try:
        async with engine.connect() as conn:
            schema = schema or await store.active_schema(conn, settings.db_schema)
            return await store.checksum(conn, schema)
    finally:
        await engine.dispose()


async def consume(settings: ProjectionsSettings) -> None:
    """Run only the consumer (no HTTP) until cancelled."""
    wired = bootstrap(settings)
    await wired.start(run_consumer=False)
    try:
        await wired.consumer.run()
    finally:
        await wired.close()
