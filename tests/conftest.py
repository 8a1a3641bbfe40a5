"""Session fixtures: a real PostgreSQL and a real Kafka for every test that asks.

Where they come from, first match wins:
1. REMIT_DATABASE_URL / REMIT_KAFKA_BOOTSTRAP are set (CI after `make infra-up`): reuse them,
   with the Kafka credentials in REMIT_KAFKA_* (`python -m infra env` prints them all).
2. A Docker engine answers: testcontainers (postgres, apache/kafka, plaintext).
3. Otherwise: the project's own embedded servers (infra/) on free ports in a temporary
   state dir, stopped and removed at the end of the session. Its broker has SASL and ACLs on,
   like `make run`; tests connect as its administrator.

The tests' Kafka connection is exported as REMIT_KAFKA_* for the session, so that settings
built in tests, and services started by tests, reach the broker the same way.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from infra import kafka, postgres
from infra.containers import docker_available, kafka_container, postgres_container
from infra.kafka import principals
from infra.settings import Settings
from services.common.kafka import KafkaSettings, connection, environment


@pytest.fixture(scope="session")
def _infra_stack() -> Iterator[ExitStack]:
    with ExitStack() as stack:
        yield stack


@pytest.fixture(scope="session")
def _use_docker() -> bool:
    return docker_available()


@pytest.fixture(scope="session")
def _embedded_settings(_infra_stack: ExitStack) -> Settings:
    state = Path(tempfile.mkdtemp(prefix="remit-test-infra-"))
    if not os.environ.get("REMIT_KEEP_TEST_STATE"):
        _infra_stack.callback(shutil.rmtree, state, ignore_errors=True)
    return Settings.ephemeral(state)


@contextmanager
def _embedded(settings: Settings, service: str) -> Iterator[str]:
    module = postgres if service == "postgres" else kafka
    try:
        yield module.start(settings).address
    finally:
        module.stop(settings)


@pytest.fixture(scope="session")
def database_url(_infra_stack: ExitStack, _use_docker: bool, request: pytest.FixtureRequest) -> str:
    """asyncpg SQLAlchemy URL of an empty-at-start database."""
    if url := os.environ.get("REMIT_DATABASE_URL"):
        return url
    if _use_docker:
        return _infra_stack.enter_context(postgres_container())
    settings: Settings = request.getfixturevalue("_embedded_settings")
    return _infra_stack.enter_context(_embedded(settings, "postgres"))


@pytest.fixture(scope="session")
def kafka_connection(
    _infra_stack: ExitStack, _use_docker: bool, request: pytest.FixtureRequest
) -> KafkaSettings:
    """A Kafka 4.x broker (no topics guaranteed: see kafka_topics), reached as a client that may
    do anything (the administrator where the broker has ACLs)."""
    if os.environ.get("REMIT_KAFKA_BOOTSTRAP"):
        found = KafkaSettings()
    elif _use_docker:
        bootstrap = _infra_stack.enter_context(kafka_container())
        found = connection(bootstrap, kafka_security_protocol="PLAINTEXT")
    else:
        settings: Settings = request.getfixturevalue("_embedded_settings")
        _infra_stack.enter_context(_embedded(settings, "kafka"))
        found = principals.client(settings)
    exported = environment(found)
    saved = {name: os.environ.get(name) for name in exported}
    _infra_stack.callback(_restore, saved)
    os.environ.update(exported)
    return found


def _restore(saved: dict[str, str | None]) -> None:
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_connection: KafkaSettings) -> str:
    """host:port of the broker; REMIT_KAFKA_* in the environment say how to log in."""
    return kafka_connection.kafka_bootstrap


@pytest.fixture(scope="session")
async def kafka_topics(kafka_connection: KafkaSettings) -> tuple[str, ...]:
    """Ensures remit.events and remit.events.dlq exist; returns their names."""
    await kafka.ensure_remit_topics(kafka_connection)
    return tuple(spec.name for spec in kafka.REMIT_TOPICS)


@pytest.fixture
async def make_topic(
    kafka_connection: KafkaSettings,
) -> AsyncIterator[Callable[..., Awaitable[str]]]:
    """Factory for a fresh, uniquely named topic: ``await make_topic("prefix", partitions=1)``."""

    async def make(prefix: str = "test", partitions: int = 1, **configs: str) -> str:
        name = f"{prefix}.{uuid.uuid4().hex[:12]}"
        spec = kafka.TopicSpec(name, partitions, configs)
        await kafka.create_topics(kafka_connection, [spec])
        return name

    yield make
