"""Alembic revisions of the registry's schema (SQL in ``sql/``), and :func:`migrate` to run them."""

from __future__ import annotations

from pathlib import Path

from services.common.migrations import upgrade

HERE = Path(__file__).resolve().parent
SQL = HERE / "sql"


async def migrate(database_url: str, schema: str = "registry", revision: str = "head") -> None:
    """Bring ``schema`` to the last revision (or ``revision``), creating it if missing; several
    processes may call this at once."""
    await upgrade(database_url, HERE, schema, revision)
