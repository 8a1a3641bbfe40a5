"""Older registry schemas upgrade in place: revision 0003 (commands in parallel arrays) keeps its
events and kept answers; revision 0004 (one global Idempotency-Key) gives each kept answer to
the caller its events name as actor, and no one else."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.migrations import downgrade
from services.registry.adapters.db import Tables, create_engine
from services.registry.adapters.unit_of_work import SqlAlchemyUnitOfWork
from services.registry.config import RegistrySettings
from services.registry.migrations import HERE, migrate
from services.registry.service_layer.ports import Reads, ScopedKey, StoredResponse, caller_scope
from tests.integration.registry.factory import renamed

pytestmark = pytest.mark.integration
NOBODY = "[]"
"""The scope revision 0005 gives kept answers whose events name no single actor."""


@pytest.fixture
async def old_schema(database_url: str) -> AsyncIterator[tuple[AsyncEngine, Tables]]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(RegistrySettings(database_url=database_url, db_schema=schema))
    try:
        yield engine, Tables(schema)
    finally:
        async with engine.begin() as conn:
            await conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        await engine.dispose()


async def _append_as_revision_0003(engine: AsyncEngine, tables: Tables) -> None:
    """One event and one kept answer, written by 0003's ``append_command``."""
    first = renamed("organisation-a", 1)
    sql = text(
        f"SELECT {tables.schema}.append_command(ARRAY[]::text[], ARRAY[]::text[],"
        " ARRAY[]::integer[], ARRAY[:stream], ARRAY[1], ARRAY[CAST(:id AS uuid)],"
        " ARRAY['OrganisationRenamed'], ARRAY[1], ARRAY[:payload],"
        " ARRAY[CAST(:recorded AS timestamptz)], 'key-1', 'hash-1', 201,"
        " CAST('{\"events\": []}' AS jsonb))"
    )
    params = {
        "stream": first.stream_id,
        "id": first.event_id,
        "payload": first.model_dump_json(),
        "recorded": first.recorded_at,
    }
    async with engine.begin() as conn:
        await conn.execute(sql, params)


async def test_revision_0003_upgrades_with_its_events_and_answers(
    database_url: str, old_schema: tuple[AsyncEngine, Tables]
) -> None:
    engine, tables = old_schema
    await migrate(database_url, tables.schema, revision="0003")
    await _append_as_revision_0003(engine, tables)
    await migrate(database_url, tables.schema)
    second = renamed("organisation-a", 2)
    async with SqlAlchemyUnitOfWork(engine, tables) as uow:
        # its answer lists no events, so no caller can be told: it is kept for nobody
        key = ScopedKey(NOBODY, "key-1")
        kept = await uow.prepare(Reads(streams=("organisation-a",)), [key])
        assert kept == {key: StoredResponse("hash-1", 201, {"events": []})}
        [first] = await uow.events.load("organisation-a")
        await uow.events.append([second])
        await uow.commit()
    async with SqlAlchemyUnitOfWork(engine, tables) as uow:
        assert await uow.events.load("organisation-a") == [first, second]


async def _append_as_revision_0004(
    engine: AsyncEngine, tables: Tables, key: str, actor: str | None, stream: str
) -> StoredResponse:
    """A command of ``actor`` (None: an answer naming no stored event) with its kept answer,
    written by 0004's ``append_command``."""
    event = renamed(stream, 1).model_copy(update={"actor": actor or "someone"})
    listed = {"event_id": str(event.event_id if actor else uuid.uuid4()), "stream_version": 1}
    answer = StoredResponse(f"hash-{key}", 201, {"events": [listed]})
    kept = {"key": key, **vars(answer)}
    sql = text(
        f"SELECT {tables.schema}.append_command(ARRAY[]::text[], CAST('[]' AS jsonb),"
        " CAST(:events AS jsonb), CAST(:kept AS jsonb))"
    )
    params = {"events": f"[{event.model_dump_json()}]", "kept": json.dumps(kept)}
    async with engine.begin() as conn:
        await conn.execute(sql, params)
    return answer


async def test_revision_0004_keys_go_to_the_caller_their_events_name(
    database_url: str, old_schema: tuple[AsyncEngine, Tables]
) -> None:
    engine, tables = old_schema
    await migrate(database_url, tables.schema, revision="0004")
    alices = await _append_as_revision_0004(engine, tables, "k-a", "alice", "organisation-a")
    odd = 'Zoë "the \\ admin"'
    odds = await _append_as_revision_0004(engine, tables, "k-o", odd, "organisation-o")
    lost = await _append_as_revision_0004(engine, tables, "k-x", None, "organisation-x")
    await migrate(database_url, tables.schema)

    async def kept(caller: str, key: str) -> StoredResponse | None:
        async with SqlAlchemyUnitOfWork(engine, tables) as uow:
            return (await uow.prepare(Reads(), [ScopedKey(caller, key)])).get(
                ScopedKey(caller, key)
            )

    assert await kept(caller_scope("alice"), "k-a") == alices
    assert await kept(caller_scope(odd), "k-o") == odds
    for other in (caller_scope("bob"), caller_scope("alice", "org-a"), NOBODY):
        assert await kept(other, "k-a") is None
    assert await kept(NOBODY, "k-x") == lost
    assert await kept(caller_scope("someone"), "k-x") is None


async def test_revision_0005_downgrades_to_one_answer_per_key(
    database_url: str, old_schema: tuple[AsyncEngine, Tables]
) -> None:
    engine, tables = old_schema
    await migrate(database_url, tables.schema)
    for caller, stream in ((caller_scope("alice"), "organisation-a"), (caller_scope("b"), "b")):
        async with SqlAlchemyUnitOfWork(engine, tables) as uow:
            await uow.events.append([renamed(stream, 1)])
            await uow.idempotency.put(ScopedKey(caller, "shared"), StoredResponse(caller, 201, {}))
            await uow.commit()
    await downgrade(database_url, HERE, tables.schema, "0004")
    async with engine.connect() as conn:
        sql = text(f"SELECT key, request_hash FROM {tables.idempotency_keys}")
        rows = (await conn.execute(sql)).all()
    assert [tuple(r) for r in rows] == [("shared", caller_scope("alice"))]  # the first kept
    await migrate(database_url, tables.schema)  # and up again
