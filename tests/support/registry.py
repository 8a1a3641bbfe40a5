"""A registry under test: the app on a freshly migrated schema of its own, relay off.

Test modules get one through the fixtures here, which the conftests that want them import:
``registry_settings`` (one schema per test module), ``client`` (the app started in process,
calling as a ``registry:write`` caller) and ``registry_url`` (the app served on a loopback
port). :func:`in_process` starts the app with other settings.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import httpx
import pytest

from services.registry.config import RegistrySettings
from services.registry.entrypoints.app import create_app
from services.registry.migrations import migrate
from tests.support.servers import serve
from tests.support.tokens import bearer


@asynccontextmanager
async def in_process(
    settings: RegistrySettings, headers: dict[str, str] | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """The registry app with ``settings``, started (lifespan) and called in process with
    ``headers`` on every request; what the app lets escape is raised in the test."""
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://registry", headers=headers) as http,
    ):
        yield http


@pytest.fixture(scope="module")
async def registry_settings(database_url: str) -> RegistrySettings:
    """The test module's registry: a schema of its own, migrated to the latest revision, so
    the module's tests see only their own events."""
    schema = f"registry_test_{uuid.uuid4().hex[:8]}"
    await migrate(database_url, schema)
    return RegistrySettings(database_url=database_url, db_schema=schema, run_relay=False)


@pytest.fixture(scope="module")
async def client(registry_settings: RegistrySettings) -> AsyncIterator[httpx.AsyncClient]:
    """The module's registry in process, each request as ``tester`` with ``registry:write``."""
    writer = bearer(registry_settings, "tester", "registry:write")
    async with in_process(registry_settings, writer) as http:
        yield http


@pytest.fixture(scope="module")
def registry_url(registry_settings: RegistrySettings) -> Iterator[str]:
    """The module's registry served on a loopback port (for callers that are not in process)."""
    with serve(lambda: create_app(registry_settings)) as url:
        yield url
