"""Session fixtures: a real PostgreSQL and a real Kafka for every test that asks.

Where they come from, first match wins:
1. REMIT_DATABASE_URL / REMIT_KAFKA_BOOTSTRAP are set (CI after `make infra-up`): reuse them.
2. A Docker engine answers: testcontainers (postgres, apache/kafka).
3. Otherwise: the project's own embedded servers (infra/) on free ports in a temporary
   state dir, stopped and removed at the end of the session.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path

import pytest

from infra import kafka, postgres
from infra.containers import docker_available, kafka_container, postgres_container
from infra.settings import Settings


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
        started = module.start(settings)
        yield started.url if isinstance(started, postgres.Status) else started.bootstrap
    finally:
        module.stop(settings)


def _server(
    env: str, container: Callable[[], AbstractContextManager[str]], request: pytest.FixtureRequest
) -> str:
    """The server named by ``env``, else a container if Docker answers, else our own."""
    if found := os.environ.get(env):
        return found
    stack: ExitStack = request.getfixturevalue("_infra_stack")
    if request.getfixturevalue("_use_docker"):
        return stack.enter_context(container())
    settings: Settings = request.getfixturevalue("_embedded_settings")
    service = "postgres" if container is postgres_container else "kafka"
    return stack.enter_context(_embedded(settings, service))


@pytest.fixture(scope="session")
def database_url(request: pytest.FixtureRequest) -> str:
    """asyncpg SQLAlchemy URL of an empty-at-start database."""
    return _server("REMIT_DATABASE_URL", postgres_container, request)


@pytest.fixture(scope="session")
def kafka_bootstrap(request: pytest.FixtureRequest) -> str:
    """host:port of a Kafka 4.x broker (no topics guaranteed: see kafka_topics)."""
    return _server("REMIT_KAFKA_BOOTSTRAP", kafka_container, request)


@pytest.fixture(scope="session")
async def kafka_topics(kafka_bootstrap: str) -> tuple[str, ...]:
    """Ensures remit.events and remit.events.dlq exist; returns their names."""
    await kafka.ensure_remit_topics(kafka_bootstrap)
    return tuple(spec.name for spec in kafka.REMIT_TOPICS)


@pytest.fixture
async def make_topic(kafka_bootstrap: str) -> AsyncIterator[Callable[..., Awaitable[str]]]:
    """Factory for a fresh, uniquely named topic: ``await make_topic("prefix", partitions=1)``."""

    async def make(prefix: str = "test", partitions: int = 1, **configs: str) -> str:
        name = f"{prefix}.{uuid.uuid4().hex[:12]}"
        await kafka.create_topics(kafka_bootstrap, [kafka.TopicSpec(name, partitions, configs)])
        return name

    yield make
