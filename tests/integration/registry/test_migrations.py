"""A registry schema at revision 0003 (commands in parallel arrays) upgrades to the functions
that take their values by name, keeping its events and kept answers."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.registry.adapters.db import Tables, create_engine
from services.registry.adapters.unit_of_work import SqlAlchemyUnitOfWork
from services.registry.config import RegistrySettings
from services.registry.migrations import migrate
from services.registry.service_layer.ports import Reads, StoredResponse
from tests.integration.registry.factory import renamed

pytestmark = pytest.mark.integration


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


async def test_revision_0003_upgrades_with_its_events_and_answers(database_url: str) -> None:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    await migrate(database_url, schema, revision="0003")
    engine = create_engine(RegistrySettings(database_url=database_url, db_schema=schema))
    tables = Tables(schema)
    try:
        await _append_as_revision_0003(engine, tables)
        await migrate(database_url, schema)
        second = renamed("organisation-a", 2)
        async with SqlAlchemyUnitOfWork(engine, tables) as uow:
            kept = await uow.prepare(Reads(streams=("organisation-a",)), "key-1")
            assert kept == StoredResponse("hash-1", 201, {"events": []})
            [first] = await uow.events.load("organisation-a")
            await uow.events.append([second])
            await uow.commit()
        async with SqlAlchemyUnitOfWork(engine, tables) as uow:
            assert await uow.events.load("organisation-a") == [first, second]
    finally:
        async with engine.begin() as conn:
            await conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        await engine.dispose()
