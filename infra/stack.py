"""PostgreSQL and Kafka together: what the CLI and the test fixtures call."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from infra import kafka, postgres
from infra.kafka import principals
from infra.settings import Settings
from services.common.kafka import KafkaSettings


@dataclass(frozen=True)
class Endpoints:
    database_url: str
    kafka_bootstrap: str
    postgres_version: str
    kafka_version: str


def start_postgres(settings: Settings) -> str:
    """Start PostgreSQL if needed; return the asyncpg SQLAlchemy URL of database remit."""
    return postgres.start(settings).address


def start_kafka(settings: Settings, topics: bool = True) -> str:
    """Start Kafka if needed (and create the remit topics and the standard principals); return
    the bootstrap address."""
    bootstrap = kafka.start(settings).address
    if topics:
        asyncio.run(kafka.ensure_remit_topics(principals.client(settings)))
        principals.ensure(settings)
    return bootstrap


def up(settings: Settings) -> Endpoints:
    pg = postgres.start(settings)
    broker = kafka.start(settings)
    asyncio.run(kafka.ensure_remit_topics(principals.client(settings)))
    principals.ensure(settings)
    return Endpoints(pg.address, broker.address, pg.version, broker.version)


def down(settings: Settings) -> dict[str, bool]:
    """Stop both; report which of them were running."""
    return {"kafka": kafka.stop(settings), "postgres": postgres.stop(settings)}


@dataclass
class PrivateStack:
    """A PostgreSQL + Kafka pair of one's own, on free ports in a new temporary folder: the
    benchmarks and the fault drills load, kill and restart it without touching anybody else's
    servers. The folder is removed on :meth:`down` unless ``REMIT_KEEP_TEST_STATE`` is set."""

    settings: Settings

    @classmethod
    def create(cls, prefix: str) -> Self:
        return cls(Settings.ephemeral(Path(tempfile.mkdtemp(prefix=prefix))))

    def up(self) -> Endpoints:
        return up(self.settings)

    def down(self) -> None:
        down(self.settings)
        if not os.environ.get("REMIT_KEEP_TEST_STATE"):
            shutil.rmtree(self.settings.state_dir, ignore_errors=True)

    @property
    def kafka(self) -> KafkaSettings:
        """The pair's broker administrator (its own password, not the session's)."""
        return principals.client(self.settings)
