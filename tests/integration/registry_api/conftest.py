from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from services.common.auth import issue_token
from services.registry.config import RegistrySettings
from services.registry.entrypoints.app import create_app
from services.registry.migrations import migrate


@pytest.fixture(scope="module")
async def registry_settings(database_url: str) -> RegistrySettings:
    schema = f"registry_api_{uuid.uuid4().hex[:8]}"
    await migrate(database_url, schema)
    return RegistrySettings(database_url=database_url, db_schema=schema, run_relay=False)


@pytest.fixture(scope="module")
async def client(registry_settings: RegistrySettings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(registry_settings)
    token = issue_token(registry_settings, "tester", ["registry:write"])
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://registry",
            headers={"Authorization": f"Bearer {token}"},
        ) as http:
            yield http
