"""PostgreSQL and Kafka together: what the CLI and the test fixtures call."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from infra import kafka, postgres
from infra.kafka import principals
from infra.settings import Settings


@dataclass(frozen=True)
class Endpoints:
    database_url: str
    kafka_bootstrap: str
    postgres_version: str
    kafka_version: str


def start_postgres(settings: Settings) -> str:
    """Start PostgreSQL if needed; return the asyncpg SQLAlchemy URL of database remit."""
    return postgres.start(settings).url


def start_kafka(settings: Settings, topics: bool = True) -> str:
    """Start Kafka if needed (and create the remit topics and the standard principals); return
    the bootstrap address."""
    bootstrap = kafka.start(settings).bootstrap
    if topics:
        asyncio.run(kafka.ensure_remit_topics(principals.client(settings)))
        principals.ensure(settings)
    return bootstrap


def up(settings: Settings) -> Endpoints:
    pg = postgres.start(settings)
    broker = kafka.start(settings)
    asyncio.run(kafka.ensure_remit_topics(principals.client(settings)))
    principals.ensure(settings)
    return Endpoints(pg.url, broker.bootstrap, pg.version, broker.version)


def down(settings: Settings) -> dict[str, bool]:
    """Stop both; report which of them were running."""
    return {"kafka": kafka.stop(settings), "postgres": postgres.stop(settings)}
