"""Wiring: settings -> engine, dead-letter publisher, projector, consumer runner."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.projections.adapters import store
from services.projections.adapters.kafka import KafkaDeadLetterPublisher
from services.projections.config import ProjectionsSettings
from services.projections.entrypoints.consumer import ConsumerRunner
from services.projections.service_layer.projector import Projector


@dataclass
class Projections:
    settings: ProjectionsSettings
    engine: AsyncEngine
    publisher: KafkaDeadLetterPublisher
    runner: ConsumerRunner

    async def start(self, run_consumer: bool) -> None:
        await store.ensure(self.engine, self.settings.db_schema)
        await self.publisher.start()
        if run_consumer:
            self.runner.start()

    async def close(self) -> None:
        await self.runner.stop()
        await self.publisher.stop()
        await self.engine.dispose()


def bootstrap(settings: ProjectionsSettings) -> Projections:
    # No pre-ping (a round trip per batch): after a database restart the first batch fails on
    # its dead connection, the consumer retries, and the pool hands out a new one.
    engine = create_async_engine(
        settings.database_dsn, pool_size=settings.db_pool_size, pool_pre_ping=False
    )
    publisher = KafkaDeadLetterPublisher(settings)
    projector = Projector(engine, settings.db_schema, settings.consumer_group, publisher)
    return Projections(settings, engine, publisher, ConsumerRunner(settings, projector))
