"""Fixtures of the registry adapter tests: a freshly migrated schema per test.

Each test gets its own schema (``t_<hex>``) in the session database, so tests never see each
other's events, sequencer or relay (advisory-lock keys derive from the schema name).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.registry.adapters.db import Tables, create_engine
from services.registry.config import RegistrySettings
from services.registry.migrations import migrate
from tests.integration.registry.factory import registry_settings

CLOSED_PORT_BOOTSTRAP = "127.0.0.1:9"
"""Nothing listens here (discard port, closed on test hosts): a Kafka that is down."""


def _fixture_or_env(request: pytest.FixtureRequest, name: str, env: str) -> str:
    """The session fixture of tests/conftest.py, or REMIT_* if it is not there."""
    try:
        return str(request.getfixturevalue(name))
    except pytest.FixtureLookupError:
        value = os.environ.get(env)
        if not value:
            pytest.fail(f"neither fixture {name!r} nor {env} is available")
        return value


@pytest.fixture
async def settings(request: pytest.FixtureRequest) -> AsyncIterator[RegistrySettings]:
    database_url = _fixture_or_env(request, "database_url", "REMIT_DATABASE_URL")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    await migrate(database_url, schema)
    base = registry_settings(
        database_url,
        schema,
        kafka_bootstrap=CLOSED_PORT_BOOTSTRAP,
        relay_backoff_initial_s=0.05,
        relay_backoff_max_s=0.5,
        kafka_request_timeout_ms=3_000,
    )
    yield base
    engine = create_engine(base)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    finally:
        await engine.dispose()


@pytest.fixture
def kafka_settings(request: pytest.FixtureRequest, settings: RegistrySettings) -> RegistrySettings:
    bootstrap = _fixture_or_env(request, "kafka_bootstrap", "REMIT_KAFKA_BOOTSTRAP")
    return settings.model_copy(update={"kafka_bootstrap": bootstrap})


@pytest.fixture
def tables(settings: RegistrySettings) -> Tables:
    return Tables(settings.db_schema)


@pytest.fixture
async def engine(settings: RegistrySettings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings)
    yield engine
    await engine.dispose()
