"""Alembic environment: async engine, one schema, version table inside that schema."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from services.registry.adapters.db import Tables
from services.registry.config import RegistrySettings


def _run(connection: Connection, schema: str) -> None:
    tables = Tables(schema)
    connection.execute(text(f"SELECT pg_advisory_xact_lock({tables.migration_lock})"))
    connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
    context.configure(connection=connection, version_table_schema=schema)
    with context.begin_transaction():
        context.run_migrations()


async def _run_online(schema: str) -> None:
    engine = create_async_engine(RegistrySettings().database_dsn, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_run, schema)
    finally:
        await engine.dispose()


def main() -> None:
    if context.is_offline_mode():
        raise SystemExit("offline (--sql) migrations are not supported")
    config = context.config
    schema = config.attributes.get("schema") or RegistrySettings().db_schema
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection, schema)
    else:
        asyncio.run(_run_online(schema))


main()
