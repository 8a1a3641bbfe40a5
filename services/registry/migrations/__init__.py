"""Alembic migrations of the registry schema, and :func:`migrate` to run them from code."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

HERE = Path(__file__).resolve().parent


def alembic_config(schema: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.attributes["schema"] = schema
    return config


async def migrate(database_url: str, schema: str = "registry") -> None:
    """``alembic upgrade head`` on ``database_url`` (``postgresql+asyncpg://``), creating
    ``schema`` if missing. Safe to call from several processes at once (an advisory lock
    serialises them)."""
    engine = create_async_engine(database_url, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade, schema)
    finally:
        await engine.dispose()


def _upgrade(connection: Connection, schema: str) -> None:
    config = alembic_config(schema)
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
