"""The benchmark's own PostgreSQL + Kafka pair (fresh state dir, free ports) and its facts."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import platform
import subprocess
from dataclasses import dataclass, field

from infra import kafka, postgres
from infra.stack import PrivateStack
from services.common.kafka import environment

PG_SETTINGS = (
    "fsync",
    "synchronous_commit",
    "wal_sync_method",
    "full_page_writes",
    "shared_buffers",
    "max_connections",
    "commit_delay",
)


@dataclass
class BenchStack(PrivateStack):
    postgres_version: str = ""
    kafka_version: str = ""
    pg_settings: dict[str, str] = field(default_factory=dict)

    @classmethod
    def start(cls) -> BenchStack:
        self = cls.create("remit-bench-")
        endpoints = self.up()
        self.postgres_version = endpoints.postgres_version
        self.kafka_version = endpoints.kafka_version or kafka.KAFKA_VERSION
        rows = self.psql(
            "SELECT name || '=' || setting || coalesce(unit, '') FROM pg_settings "
            f"WHERE name IN ({', '.join(repr(s) for s in PG_SETTINGS)}) ORDER BY name"
        )
        self.pg_settings = dict(line.split("=", 1) for line in rows.splitlines() if line)
        return self

    def psql(self, sql: str, database: str = "postgres") -> str:
        return postgres.psql(self.settings, sql, database)

    def fresh_database(self, name: str) -> str:
        """Drop and create database ``name``; return its asyncpg SQLAlchemy URL."""
        self.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.psql(f"CREATE DATABASE {name}")
        return self.sqlalchemy_url(name)

    def sqlalchemy_url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.settings.pg_port}/{database}"

    def libpq_url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.settings.pg_port}/{database}"

    @property
    def bootstrap(self) -> str:
        return self.settings.kafka_bootstrap

    @property
    def kafka_env(self) -> dict[str, str]:
        """``REMIT_KAFKA_*`` for the services the benchmark starts, as the administrator (the
        benchmark's own clients connect as it too): the workloads use topics and groups of
        their own, which the service principals may not."""
        return environment(self.kafka)

    def fresh_topic(self, name: str, partitions: int = 1) -> str:
        spec = kafka.TopicSpec(name, partitions, {"retention.ms": "-1"})
        asyncio.run(kafka.create_topics(self.kafka, [spec]))
        return name


def machine() -> dict[str, object]:
    cpu = ""
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with open("/proc/meminfo") as info:
        for line in info:
            if line.startswith("MemTotal"):
                mem_kb = int(line.split()[1])
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "host": platform.node(),
        "kernel": platform.release(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "commit": commit,
        "loadavg_at_start": os.getloadavg()[0],
    }
