"""Idempotency-Keys are scoped by caller (issue 16, item 1), over real HTTP: the same key from two
callers is two requests, and one caller never sees or replays another's answer.

Before, keys were global: bob sending alice's key and body got alice's stored answer (her event
ids and positions) as a 200 replay.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from services.registry.config import RegistrySettings
from tests.support.tokens import bearer

pytestmark = pytest.mark.integration
SOURCE = {"document": "D", "passage": "P"}


@pytest.fixture(scope="module")
def registry(
    registry_url: str, registry_settings: RegistrySettings
) -> tuple[str, RegistrySettings]:
    """The served registry, and its settings to sign tokens with and to find its tables by."""
    return registry_url, registry_settings


async def post(
    registry: tuple[str, RegistrySettings],
    body: dict[str, Any],
    subject: str,
    key: str,
    org: str | None = None,
) -> httpx.Response:
    url, settings = registry
    headers = {**bearer(settings, subject, "registry:write", org=org), "Idempotency-Key": key}
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        return await client.post("/v1/organisations", json=body, headers=headers)


async def kept_callers(registry: tuple[str, RegistrySettings], key: str) -> list[str]:
    _, settings = registry
    engine = create_async_engine(str(settings.database_url))
    try:
        async with engine.connect() as conn:
            sql = text(
                f"SELECT caller FROM {settings.db_schema}.idempotency_keys"
                " WHERE key = :key ORDER BY caller"
            )
            return [str(c) for c in (await conn.execute(sql, {"key": key})).scalars()]
    finally:
        await engine.dispose()


async def test_another_caller_with_the_same_key_gets_its_own_outcome(
    registry: tuple[str, RegistrySettings],
) -> None:
    key = "shared-key-1"  # the schema is this module's: keys need not be unique across runs
    body = {"source": SOURCE, "organisation_id": "org-shared", "name": "Shared", "kind": "team"}
    alice = await post(registry, body, "alice", key)
    assert alice.status_code == 201, alice.text
    bob = await post(registry, body, "bob", key)
    assert bob.status_code == 409, bob.text  # decided for bob: already registered
    assert bob.headers["content-type"].startswith("application/problem+json")
    assert "already registered" in bob.json()["detail"]
    assert "Idempotent-Replayed" not in bob.headers
    for event in alice.json()["events"]:
        assert event["event_id"] not in bob.text
    # the same subject for another organisation is another caller too
    assert (await post(registry, body, "alice", key, org="org-a")).status_code == 409
    again = await post(registry, body, "alice", key)  # alice's retry still replays her answer
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["events"] == alice.json()["events"]
    assert await kept_callers(registry, key) == ['["alice"]']


async def test_two_callers_keep_two_answers_under_one_key(
    registry: tuple[str, RegistrySettings],
) -> None:
    key = "shared-key-2"
    bodies = {
        who: {"source": SOURCE, "organisation_id": f"org-{who}", "name": who, "kind": "team"}
        for who in ("alice", "bob")
    }
    first = {who: await post(registry, bodies[who], who, key) for who in bodies}
    assert {who: r.status_code for who, r in first.items()} == {"alice": 201, "bob": 201}
    for who in bodies:  # each retry replays its own caller's answer, never the other's
        again = await post(registry, bodies[who], who, key)
        assert again.status_code == 200 and again.json()["events"] == first[who].json()["events"]
    # a key is checked against its own caller's request: bob reusing his key for alice's body
    assert (await post(registry, bodies["alice"], "bob", key)).status_code == 422
    assert await kept_callers(registry, key) == ['["alice"]', '["bob"]']
