"""A control schema made before migrations (its tables created at start-up) is adopted as is:
the pointer to the active read model and the dead letters stay."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from services.projections.adapters import store
from services.projections.adapters.schema import data_ddl, execute_all
from services.projections.migrations import SQL

pytestmark = pytest.mark.integration


async def test_a_control_schema_without_migrations_is_adopted(database_url: str) -> None:
    control = f"proj_{uuid.uuid4().hex[:8]}"
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(f"CREATE SCHEMA {control}"))
            driver = (await conn.get_raw_connection()).driver_connection
            assert driver is not None
            tables = (SQL / "0001_control.sql").read_text(encoding="utf-8")
            await driver.execute(tables.replace("{schema}", control))
            await execute_all(conn, data_ddl(f"{control}_v3"))
            await conn.execute(
                text(f"INSERT INTO {control}.active (data_schema, version) VALUES (:s, 3)"),
                {"s": f"{control}_v3"},
            )
            await conn.execute(
                text(
                    f"INSERT INTO {control}.dead_letters (kind, consumer, source_topic, "
                    "source_partition, source_offset, reason) VALUES ('undecodable', 'c', 't', 0, "
                    "5, 'r')"
                )
            )
        assert await store.ensure(engine, control) == f"{control}_v3"
        async with engine.connect() as conn:
            version = await conn.execute(text(f"SELECT version_num FROM {control}.alembic_version"))
            letters = await conn.execute(text(f"SELECT count(*) FROM {control}.dead_letters"))
            assert (version.scalar_one(), letters.scalar_one()) == ("0001", 1)
    finally:
        async with engine.begin() as conn:
            await conn.execute(text(f"DROP SCHEMA IF EXISTS {control}_v3 CASCADE"))
            await conn.execute(text(f"DROP SCHEMA IF EXISTS {control} CASCADE"))
        await engine.dispose()
